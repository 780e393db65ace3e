// The Boot Loader Interface's entry variables. Rules in words: docs/boot-flow.md
// ("LoaderEntryOneShot and LoaderEntryDefault").
#include "wdboot/loader_entries.hpp"

#include "wdboot/little_endian.hpp"

namespace wdboot {
namespace {

constexpr size_t kShownUnits = 40;

uint16_t unit_at(const LoaderEntryVariable& v, size_t i) { return le16(v.data + 2 * i); }

// The value for a message: what systemd would have written is printable ASCII, so
// anything else is shown by its code unit.
void show_value(const LoaderEntryVariable& v, TextBuffer<160>& shown) {
    size_t stored = v.size < kLoaderEntryReadMax ? v.size : kLoaderEntryReadMax;
    size_t units = stored / 2;
    shown.append_char('"');
    for (size_t i = 0; i < units && i < kShownUnits; ++i) {
        uint16_t u = unit_at(v, i);
        if (u == 0 && i + 1 == units && stored == v.size) break;  // its final NUL
        if (u >= 0x20 && u < 0x7F && u != '"' && u != '\\') {
            shown.append_char(static_cast<char>(u));
        } else {
            shown.appendf("\\u%04x", u);
        }
    }
    if (units > kShownUnits || stored < v.size) shown.append("...");
    shown.append_char('"');
    if (v.size % 2 != 0 || stored < v.size) shown.appendf(" (%u bytes)", v.size);
}

const char* problem_text(EntryValue e) {
    switch (e) {
        case EntryValue::empty: return "it is empty";
        case EntryValue::too_long: return "it is longer than a slot name can be";
        case EntryValue::odd_size: return "it is not UTF-16 (an odd number of bytes)";
        case EntryValue::not_a_name: return "it is not a slot name (A-Z a-z 0-9 . _ -)";
        case EntryValue::absent:
        case EntryValue::name: break;
    }
    return "";
}

struct Parsed {
    EntryValue value;
    char name[kSlotNameBytes];
    TextBuffer<160> shown;
    uint8_t record_slot;  // configured slot's record entry, or kNoSlot
};

Parsed parse(const Config& cfg, const BootState& st, const LoaderEntryVariable& v) {
    Parsed p{};
    p.value = parse_entry_variable(v, p.name, p.shown);
    p.record_slot = kNoSlot;
    if (p.value == EntryValue::name && cfg.find(p.name) != kNoSlot) p.record_slot = st.find_slot(p.name);
    return p;
}

void ignored(LoaderEntryOutcome& out, const char* variable, const Parsed& p, const char* why) {
    TextBuffer<320>& line = out.lines[out.line_count++];
    line.appendf("wdboot: WARNING: %s = %s ignored: %s", variable, p.shown.c_str(), why);
}

}  // namespace

const char* to_string(EntryValue v) {
    switch (v) {
        case EntryValue::absent: return "absent";
        case EntryValue::name: return "name";
        case EntryValue::empty: return "empty";
        case EntryValue::too_long: return "too-long";
        case EntryValue::odd_size: return "odd-size";
        case EntryValue::not_a_name: return "not-a-name";
    }
    return "?";
}

void encode_loader_features(uint64_t features, uint8_t (&out)[8]) {
    for (int i = 0; i < 8; ++i) out[i] = static_cast<uint8_t>(features >> (8 * i));
}

size_t build_loader_entries(const Config& cfg, uint8_t (&out)[kLoaderEntriesBytesMax]) {
    size_t n = 0;
    for (uint8_t ci = 0; ci < cfg.slot_count && ci < kMaxSlots; ++ci) {
        // A configured name is at most kSlotNameBytes - 1 ASCII characters, so each
        // slot takes at most kSlotNameBytes * 2 bytes and all of them fit.
        const char* name = cfg.slots[ci].name;
        for (size_t i = 0; i + 1 < kSlotNameBytes && name[i] != '\0'; ++i) {
            out[n++] = static_cast<uint8_t>(name[i]);
            out[n++] = 0;
        }
        out[n++] = 0;
        out[n++] = 0;
    }
    return n;
}

EntryValue parse_entry_variable(const LoaderEntryVariable& v, char (&name)[kSlotNameBytes], TextBuffer<160>& shown) {
    name[0] = '\0';
    shown.clear();
    if (!v.present) return EntryValue::absent;
    show_value(v, shown);
    if (v.size % 2 != 0) return EntryValue::odd_size;
    size_t units = v.size / 2;
    // Its final NUL is optional; nothing may follow it.
    if (units > 0 && v.size <= kLoaderEntryReadMax && unit_at(v, units - 1) == 0) --units;
    if (units == 0) return EntryValue::empty;
    if (units > kSlotNameBytes - 1) return EntryValue::too_long;
    for (size_t i = 0; i < units; ++i) {
        uint16_t u = unit_at(v, i);
        if (u == 0 || u >= 0x80) {
            name[0] = '\0';
            return EntryValue::not_a_name;
        }
        name[i] = static_cast<char>(u);
        name[i + 1] = '\0';
    }
    // The config's own rule for slot names, so that nothing the config refuses is ever
    // taken for a slot.
    if (!is_valid_slot_name(name)) {
        name[0] = '\0';
        return EntryValue::not_a_name;
    }
    return EntryValue::name;
}

LoaderEntryOutcome apply_loader_entries(const Config& cfg, BootState& st, const LoaderEntryVariables& vars,
                                        const BootFacts& facts) {
    LoaderEntryOutcome out{};

    // The default first: a one-shot boot runs before the default order anyway, and the
    // journal then reads in the order the requests take effect.
    Parsed def = parse(cfg, st, vars.default_entry);
    if (def.value == EntryValue::name && def.record_slot != kNoSlot) {
        if (def.record_slot != st.default_slot) {
            (void)set_default(st, def.record_slot, facts.now);
            out.default_set = true;
            TextBuffer<320>& line = out.lines[out.line_count++];
            line.appendf("wdboot: %s = %s: \"%s\" is the default now (as wdbootctl set-default)", kLoaderEntryDefault,
                         def.shown.c_str(), def.name);
        }
    } else if (def.value == EntryValue::name) {
        ignored(out, kLoaderEntryDefault, def, "no such slot in the config");
    } else if (def.value != EntryValue::absent) {
        ignored(out, kLoaderEntryDefault, def, problem_text(def.value));
    }

    Parsed one = parse(cfg, st, vars.one_shot);
    if (one.value == EntryValue::absent) return out;
    if (!vars.one_shot_removed) {
        // Honoured but not deleted, it would ask for the same trial at every boot.
        ignored(out, kLoaderEntryOneShot, one, "it could not be deleted, and would repeat at every boot");
        return out;
    }
    if (one.value != EntryValue::name) {
        ignored(out, kLoaderEntryOneShot, one, problem_text(one.value));
        return out;
    }
    if (one.record_slot == kNoSlot) {
        ignored(out, kLoaderEntryOneShot, one, "no such slot in the config");
        return out;
    }
    TextBuffer<320>& line = out.lines[out.line_count++];
    line.appendf("wdboot: %s = %s: one-shot trial of \"%s\" (1 try; the default order resumes after it)",
                 kLoaderEntryOneShot, one.shown.c_str(), one.name);
    if (st.trial_slot != kNoSlot && st.trial_slot != one.record_slot) {
        // The newer request wins; the replaced trial is journalled as ended.
        const SlotState& old = st.slots[st.trial_slot];
        line.appendf("; it replaces the pending trial of \"%s\"", old.name);
        uint32_t boot = st.attempt_slot != kNoSlot ? st.attempt_boot_id : st.last_boot_id;
        st.journal_add(boot, st.trial_slot, Event::trial_abandoned, old.tries_left, facts);
    }
    (void)request_trial(st, one.record_slot, 1, facts.now);
    out.trial_requested = true;
    return out;
}

}  // namespace wdboot
