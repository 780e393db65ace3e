// libFuzzer target for the config parser: the input is "LOAD OPTIONS \x1e CONFIG TEXT"
// (without a \x1e, all of it is config text). Runs the loader's whole sequence and
// aborts when a result breaks an invariant that docs/config.md promises.
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <memory>

#include "wdboot/config.hpp"
#include "wdboot/watchdog_drivers.hpp"

using namespace wdboot;

namespace {

void require(bool ok) {
    if (!ok) abort();
}

// NUL-terminated within cap bytes; returns the length.
size_t bounded_length(const char* s, size_t cap) {
    size_t n = 0;
    while (n < cap && s[n] != '\0') ++n;
    require(n < cap);
    return n;
}

void check_path(const char* path) {
    size_t n = bounded_length(path, kPathMax);
    require(n >= 2 && path[0] == '\\' && path[n - 1] != '\\');
    for (size_t i = 0; i < n; ++i) {
        require(path[i] > ' ' && path[i] < 0x7F && path[i] != '/');
        require(!(path[i] == '\\' && i + 1 < n && path[i + 1] == '\\'));
    }
}

void check_diagnostics(const Diagnostics& d) {
    require(d.count <= kMaxDiagnostics);
    uint32_t errors = 0;
    for (size_t i = 0; i < d.count; ++i) {
        size_t n = bounded_length(d.items[i].message, kDiagnosticBytes);
        require(n > 0);
        // Input bytes are escaped before they reach a message: the console gets ASCII.
        for (size_t k = 0; k < n; ++k) require(d.items[i].message[k] >= 0x20 && d.items[i].message[k] < 0x7F);
        if (d.items[i].severity == Severity::error) ++errors;
    }
    require(d.errors >= errors);
}

void check_config(const Config& cfg, Status finished) {
    require(cfg.slot_count <= kMaxSlots);
    require((finished == Status::ok) == (cfg.slot_count > 0));
    require(finished == Status::ok || finished == Status::not_found);
    require(cfg.timeout_s >= kMinTimeoutSeconds && cfg.timeout_s <= kMaxTimeoutSeconds);
    // What parses also boots protected: every driver the choice may arm accepts the
    // timeout, and every slot's options leave room for the longest kernel arguments.
    const WatchdogLimits limits = watchdog_limits(cfg.watchdog);
    require(cfg.timeout_s >= limits.min_timeout_s && cfg.timeout_s <= limits.max_timeout_s);
    require(cfg.tries >= 1 && cfg.tries <= kMaxTries);
    // Only the watchdogs the loader probes are accepted: the core's amd_fch and itco_pch
    // sequences are refused until it does (docs/config.md).
    switch (cfg.watchdog) {
        case WatchdogChoice::auto_detect:
        case WatchdogChoice::none:
        case WatchdogChoice::i6300esb:
        case WatchdogChoice::itco:
        case WatchdogChoice::wdat:
        case WatchdogChoice::ipmi: break;
        default: require(false);
    }
    require(static_cast<uint8_t>(cfg.on_exhausted) <= static_cast<uint8_t>(OnExhausted::halt));
    bounded_length(cfg.default_slot, kSlotNameBytes);
    if (cfg.default_slot[0] != '\0') require(cfg.find(cfg.default_slot) != kNoSlot);
    for (uint8_t i = 0; i < cfg.slot_count; ++i) {
        const SlotConfig& s = cfg.slots[i];
        require(is_valid_slot_name(s.name));
        require(cfg.find(s.name) == i);  // unique
        require(s.line >= 1);
        require(s.tries <= kMaxTries);
        require(cfg.tries_for(s) >= 1);
        switch (s.kind) {
            case ImageKind::linux_efi:
            case ImageKind::efi_app: check_path(s.path); break;
            case ImageKind::boot_entry: require(s.path[0] == '\0'); break;
            case ImageKind::none: require(false); break;
        }
        require(s.initrd_count <= kMaxInitrds);
        if (s.kind != ImageKind::linux_efi) require(s.initrd_count == 0);
        for (uint8_t k = 0; k < s.initrd_count; ++k) check_path(s.initrds[k]);
        size_t n = bounded_length(s.options, kOptionsMax);
        // Printable ASCII and tabs only: other bytes make their line an error.
        for (size_t k = 0; k < n; ++k) require((s.options[k] >= 0x20 && s.options[k] < 0x7F) || s.options[k] == '\t');
        if (limits.args_length > 0) require(n + 1 + limits.args_length <= kOptionsMax - 1);
    }
    check_diagnostics(cfg.diagnostics);
}

// Exact-size heap copies, so that AddressSanitizer catches a read past `len`.
std::unique_ptr<char[]> copy_of(const uint8_t* data, size_t n) {
    std::unique_ptr<char[]> p(new char[n]);
    if (n > 0) memcpy(p.get(), data, n);
    return p;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static Config cfg;  // ~19 KB: not on the stack, as in the loader
    const uint8_t* sep = static_cast<const uint8_t*>(memchr(data, 0x1e, size));
    size_t opts_len = sep != nullptr ? static_cast<size_t>(sep - data) : 0;
    size_t text_off = sep != nullptr ? opts_len + 1 : 0;
    auto opts = copy_of(data, opts_len);
    auto text = copy_of(data + text_off, size - text_off);

    config_defaults(cfg);
    LoadOptions lo;
    memset(&lo, 0xA5, sizeof(lo));  // parse_load_options must reset every byte it promises
    Status a = parse_load_options(opts.get(), opts_len, lo, cfg.diagnostics);
    require(a == Status::ok || a == Status::invalid_argument);
    if (bounded_length(lo.config_path, kPathMax) > 0) check_path(lo.config_path);
    bounded_length(lo.overrides, kOptionsMax);

    Status b = parse_config(text.get(), size - text_off, cfg);
    require(b == Status::ok || b == Status::invalid_argument);
    Status c = apply_load_options(lo, cfg);
    require(c == Status::ok || c == Status::invalid_argument);
    check_config(cfg, finish_config(cfg));
    return 0;
}
