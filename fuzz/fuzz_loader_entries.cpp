// libFuzzer target for the Boot Loader Interface entry variables the loader reads at
// every boot (LoaderEntryOneShot, LoaderEntryDefault): whatever the OS left in them,
// parse_entry_variable() names a slot only with a well-formed, terminated name, and
// apply_loader_entries() leaves a record that encodes and decodes again, whose trial and
// default refer to configured slots, and a one-shot that could not be deleted is never
// honoured.
//
// Input: byte 0 holds the flags (bit0 one-shot present, bit1 its delete worked, bit2
// default present), byte 1 the one-shot's length; the rest is the one-shot's bytes, then
// the default's.
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wdboot/boot_record.hpp"
#include "wdboot/config.hpp"
#include "wdboot/loader_entries.hpp"
#include "wdboot/slot_policy.hpp"
#include "wdboot/text.hpp"

using namespace wdboot;

namespace {

constexpr char kConfig[] =
    "timeout 60\ntries 3\n\n"
    "slot primary\n  linux \\a\\vmlinuz\n\n"
    "slot fallback\n  linux \\b\\vmlinuz\n\n"
    "slot 6.1.99-good\n  linux \\c\\vmlinuz\n";

const Config& config() {
    static Config cfg;  // ~19 KB: not on the stack, as in the loader
    static bool ready = false;
    if (!ready) {
        if (parse_config(kConfig, sizeof(kConfig) - 1, cfg) != Status::ok || finish_config(cfg) != Status::ok) abort();
        ready = true;
    }
    return cfg;
}

LoaderEntryVariable variable(bool present, const uint8_t* data, size_t size) {
    LoaderEntryVariable v{};
    v.present = present;
    v.size = static_cast<uint32_t>(size);
    memcpy(v.data, data, size < sizeof(v.data) ? size : sizeof(v.data));
    return v;
}

void check_parse(const LoaderEntryVariable& v) {
    char name[kSlotNameBytes];
    memset(name, 'x', sizeof(name));
    TextBuffer<160> shown;
    EntryValue e = parse_entry_variable(v, name, shown);
    const size_t len = strnlen(name, sizeof(name));
    if (len == sizeof(name)) abort();                         // always terminated
    if ((e == EntryValue::name) != (len > 0)) abort();        // a name exactly when one was found
    if (!v.present && e != EntryValue::absent) abort();
    for (size_t i = 0; i < len; ++i) {
        const char c = name[i];
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                        c == '_' || c == '-';
        if (!ok) abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 2) return 0;
    const uint8_t flags = data[0];
    size_t one_len = data[1];
    const uint8_t* rest = data + 2;
    size_t rest_len = size - 2;
    if (one_len > rest_len) one_len = rest_len;

    LoaderEntryVariables vars{};
    vars.one_shot = variable(flags & 1, rest, one_len);
    vars.one_shot_removed = flags & 2;
    vars.default_entry = variable(flags & 4, rest + one_len, rest_len - one_len);
    check_parse(vars.one_shot);
    check_parse(vars.default_entry);

    const Config& cfg = config();
    BootState st = BootState::empty();
    reconcile(cfg, st);
    const BootFacts facts{ResetCause::power_on, 1732950000};
    LoaderEntryOutcome out = apply_loader_entries(cfg, st, vars, facts);

    if (out.trial_requested && !(vars.one_shot.present && vars.one_shot_removed)) abort();
    if (out.default_set && !vars.default_entry.present) abort();
    if (st.trial_slot != kNoSlot && (st.trial_slot >= kMaxSlots || !st.slots[st.trial_slot].used())) abort();
    if (st.default_slot != kNoSlot && (st.default_slot >= kMaxSlots || !st.slots[st.default_slot].used())) abort();
    uint8_t bytes[kRecordSize];
    encode_record(st, bytes);
    BootState again = BootState::empty();
    if (decode_record(bytes, sizeof(bytes), again) != Status::ok || !(again == st)) abort();
    return 0;
}
