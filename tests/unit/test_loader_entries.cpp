// The Boot Loader Interface's entry variables: LoaderFeatures and LoaderEntries as
// published, the UTF-16 parser of LoaderEntryOneShot/LoaderEntryDefault, the decision
// (apply_loader_entries) and the whole flow through run_boot().
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "fixtures.hpp"
#include "wdboot/loader_entries.hpp"
#include "wdboot/slot_policy.hpp"

using namespace wdboot;
using wdtest::Machine;
using wdtest::utf16;

namespace {

LoaderEntryVariable var(const std::vector<uint8_t>& bytes) {
    LoaderEntryVariable v{};
    v.present = true;
    v.size = static_cast<uint32_t>(bytes.size());
    for (size_t i = 0; i < bytes.size() && i < sizeof(v.data); ++i) v.data[i] = bytes[i];
    return v;
}

EntryValue parse(const std::vector<uint8_t>& bytes, std::string* name = nullptr, std::string* shown = nullptr) {
    char n[kSlotNameBytes];
    TextBuffer<160> s;
    EntryValue e = parse_entry_variable(var(bytes), n, s);
    if (name) *name = n;
    if (shown) *shown = s.c_str();
    return e;
}

bool any_line(const LoaderEntryOutcome& o, const std::string& needle) {
    for (uint8_t i = 0; i < o.line_count; ++i) {
        if (std::string(o.lines[i].c_str()).find(needle) != std::string::npos) return true;
    }
    return false;
}

bool logged(const Machine::Boot& b, const std::string& needle) {
    for (const auto& l : b.lines) {
        if (l.find(needle) != std::string::npos) return true;
    }
    return false;
}

BootState reconciled(const Config& cfg) {
    BootState st = BootState::empty();
    reconcile(cfg, st);
    return st;
}

size_t journal_count_of(const BootState& st, Event e) {
    size_t n = 0;
    for (size_t i = 0; i < st.journal_count; ++i) n += st.journal_newest(i).event == e;
    return n;
}

}  // namespace

TEST_CASE("LoaderFeatures: entry default and entry one-shot only, 8 bytes little-endian", "[loader-entries]") {
    STATIC_REQUIRE(kWdbootLoaderFeatures == 0x0C);
    uint8_t b[8];
    encode_loader_features(kWdbootLoaderFeatures, b);
    REQUIRE(std::vector<uint8_t>(b, b + 8) == std::vector<uint8_t>{0x0C, 0, 0, 0, 0, 0, 0, 0});
    encode_loader_features(0x0102030405060708ull, b);
    REQUIRE(std::vector<uint8_t>(b, b + 8) == std::vector<uint8_t>{8, 7, 6, 5, 4, 3, 2, 1});
    // Nothing wdboot does not do: no menu timeouts, no interface boot counting.
    REQUIRE((kWdbootLoaderFeatures & (kLoaderFeatureConfigTimeout | kLoaderFeatureConfigTimeoutOneShot |
                                      kLoaderFeatureBootCounting)) == 0);
}

TEST_CASE("LoaderEntries: the slot names in config order, each NUL-terminated UTF-16LE", "[loader-entries]") {
    uint8_t out[kLoaderEntriesBytesMax];
    SECTION("two slots") {
        Config cfg = wdtest::make_config({"primary", "fallback"});
        size_t n = build_loader_entries(cfg, out);
        std::vector<uint8_t> want = utf16("primary");
        std::vector<uint8_t> f = utf16("fallback");
        want.insert(want.end(), f.begin(), f.end());
        REQUIRE(std::vector<uint8_t>(out, out + n) == want);
    }
    SECTION("no slots: nothing") {
        Config cfg = wdtest::make_config({});
        REQUIRE(build_loader_entries(cfg, out) == 0);
    }
    SECTION("eight slots of the longest name fit exactly") {
        Config cfg = wdtest::make_config({"aaaaaaaaaaaaaa0", "aaaaaaaaaaaaaa1", "aaaaaaaaaaaaaa2", "aaaaaaaaaaaaaa3",
                                          "aaaaaaaaaaaaaa4", "aaaaaaaaaaaaaa5", "aaaaaaaaaaaaaa6", "aaaaaaaaaaaaaa7"});
        size_t n = build_loader_entries(cfg, out);
        REQUIRE(n == kLoaderEntriesBytesMax);
        REQUIRE(out[n - 1] == 0);
        REQUIRE(out[n - 2] == 0);
        REQUIRE(out[n - 4] == '7');
    }
}

TEST_CASE("entry variables: what is a slot name", "[loader-entries]") {
    std::string name, shown;
    SECTION("with its NUL, as systemd writes it") {
        REQUIRE(parse(utf16("fallback"), &name, &shown) == EntryValue::name);
        REQUIRE(name == "fallback");
        REQUIRE(shown == "\"fallback\"");
    }
    SECTION("without its final NUL") {
        REQUIRE(parse(utf16("fallback", false), &name) == EntryValue::name);
        REQUIRE(name == "fallback");
    }
    SECTION("the longest slot name, 15 characters") {
        REQUIRE(parse(utf16("abcdefghijklmno"), &name) == EntryValue::name);
        REQUIRE(name == "abcdefghijklmno");
    }
    SECTION("absent") {
        char n[kSlotNameBytes];
        TextBuffer<160> s;
        REQUIRE(parse_entry_variable(LoaderEntryVariable{}, n, s) == EntryValue::absent);
        REQUIRE(n[0] == '\0');
    }
    SECTION("empty: no bytes, or only a NUL") {
        REQUIRE(parse({}) == EntryValue::empty);
        REQUIRE(parse({0, 0}) == EntryValue::empty);
    }
    SECTION("16 characters: too long") {
        REQUIRE(parse(utf16("abcdefghijklmnop"), &name) == EntryValue::too_long);
        REQUIRE(name.empty());
    }
    SECTION("larger than the loader reads: too long, shown cut with its size") {
        std::vector<uint8_t> big = utf16(std::string(300, 'x'));
        REQUIRE(parse(big, nullptr, &shown) == EntryValue::too_long);
        REQUIRE(shown.find("...\"") != std::string::npos);
        REQUIRE(shown.find("(602 bytes)") != std::string::npos);
    }
    SECTION("an odd number of bytes: not UTF-16") {
        std::vector<uint8_t> v = utf16("primary");
        v.pop_back();
        REQUIRE(parse(v, nullptr, &shown) == EntryValue::odd_size);
        REQUIRE(shown.find("(15 bytes)") != std::string::npos);
    }
    SECTION("ASCII bytes written as UTF-8, not UTF-16") {
        std::vector<uint8_t> v = {'p', 'r', 'i', 'm', 'a', 'r', 'y', 0};
        // 8 bytes: even, but the code units are "rp", "mi", ... : not a name.
        REQUIRE(parse(v, &name, &shown) == EntryValue::not_a_name);
        REQUIRE(name.empty());
        REQUIRE(shown.find("\\u7270") != std::string::npos);
    }
    SECTION("a non-ASCII character") {
        std::vector<uint8_t> v = utf16("prim");
        v.insert(v.end() - 2, {0xE9, 0x00});  // U+00E9 before the NUL
        REQUIRE(parse(v, nullptr, &shown) == EntryValue::not_a_name);
        REQUIRE(shown == "\"prim\\u00e9\"");
    }
    SECTION("a NUL inside") {
        std::vector<uint8_t> v = utf16("ab");
        std::vector<uint8_t> c = utf16("cd");
        v.insert(v.end(), c.begin(), c.end());
        REQUIRE(parse(v) == EntryValue::not_a_name);
    }
    SECTION("characters or forms the config refuses for slot names") {
        REQUIRE(parse(utf16("a b")) == EntryValue::not_a_name);
        REQUIRE(parse(utf16("@saved")) == EntryValue::not_a_name);
        REQUIRE(parse(utf16("-x")) == EntryValue::not_a_name);
        REQUIRE(parse(utf16("..")) == EntryValue::not_a_name);
        REQUIRE(parse(utf16("a\"b"), nullptr, &shown) == EntryValue::not_a_name);
        REQUIRE(shown == "\"a\\u0022b\"");
    }
}

TEST_CASE("apply_loader_entries: the decision", "[loader-entries]") {
    Config cfg = wdtest::make_config({"primary", "fallback", "old"});
    BootState st = reconciled(cfg);
    const uint8_t fb = st.find_slot("fallback");
    BootFacts facts{ResetCause::power_on, 1700000000};
    LoaderEntryVariables v{};
    v.one_shot_removed = true;

    SECTION("nothing present: nothing changes, nothing said") {
        BootState before = st;
        LoaderEntryOutcome o = apply_loader_entries(cfg, st, v, facts);
        REQUIRE(o.line_count == 0);
        REQUIRE_FALSE(o.trial_requested);
        REQUIRE_FALSE(o.default_set);
        REQUIRE(st == before);
    }
    SECTION("a one-shot naming a slot: a trial with one try, journalled as wdbootctl try") {
        v.one_shot = var(utf16("fallback"));
        LoaderEntryOutcome o = apply_loader_entries(cfg, st, v, facts);
        REQUIRE(o.trial_requested);
        REQUIRE(st.trial_slot == fb);
        REQUIRE(st.slots[fb].tries_left == 1);
        REQUIRE(st.journal_newest(0).event == Event::trial_requested);
        REQUIRE(st.journal_newest(0).detail == 1);
        REQUIRE(st.default_slot == kNoSlot);
        REQUIRE(any_line(o, "LoaderEntryOneShot = \"fallback\": one-shot trial of \"fallback\""));
        Decision d = choose(cfg, st, facts, BootSkips{});
        REQUIRE(d.trial);
        REQUIRE(d.config_slot == cfg.find("fallback"));
    }
    SECTION("a one-shot of a slot marked bad and failed hard: tried once all the same") {
        REQUIRE(mark_bad(st, fb, 0) == Status::ok);
        st.slots[fb].flags |= kSlotFailedHard;
        v.one_shot = var(utf16("fallback"));
        REQUIRE(apply_loader_entries(cfg, st, v, facts).trial_requested);
        REQUIRE_FALSE(st.slots[fb].has(kSlotBad));
        REQUIRE(st.slots[fb].tries_left == 1);
        REQUIRE(choose(cfg, st, facts, BootSkips{}).trial);
    }
    SECTION("a one-shot replaces a pending trial of another slot, which is journalled as abandoned") {
        const uint8_t old = st.find_slot("old");
        REQUIRE(request_trial(st, old, 3, 0) == Status::ok);
        v.one_shot = var(utf16("fallback"));
        LoaderEntryOutcome o = apply_loader_entries(cfg, st, v, facts);
        REQUIRE(st.trial_slot == fb);
        REQUIRE_FALSE(st.slots[old].has(kSlotTrial));
        REQUIRE(st.journal_newest(1).event == Event::trial_abandoned);
        REQUIRE(st.journal_newest(1).slot == old);
        REQUIRE(any_line(o, "replaces the pending trial of \"old\""));
    }
    SECTION("a one-shot of the pending trial's own slot: one try") {
        REQUIRE(request_trial(st, fb, 3, 0) == Status::ok);
        v.one_shot = var(utf16("fallback"));
        (void)apply_loader_entries(cfg, st, v, facts);
        REQUIRE(st.trial_slot == fb);
        REQUIRE(st.slots[fb].tries_left == 1);
        REQUIRE(journal_count_of(st, Event::trial_abandoned) == 0);
    }
    SECTION("a one-shot that could not be deleted is not honoured") {
        v.one_shot = var(utf16("fallback"));
        v.one_shot_removed = false;
        BootState before = st;
        LoaderEntryOutcome o = apply_loader_entries(cfg, st, v, facts);
        REQUIRE_FALSE(o.trial_requested);
        REQUIRE(st == before);
        REQUIRE(any_line(o, "WARNING: LoaderEntryOneShot = \"fallback\" ignored: it could not be deleted"));
    }
    SECTION("bad one-shots: a warning naming the variable and value, state untouched") {
        BootState before = st;
        std::vector<std::pair<std::vector<uint8_t>, std::string>> cases = {
            {utf16("nosuch"), "\"nosuch\" ignored: no such slot in the config"},
            {utf16(""), "\"\" ignored: it is empty"},
            {utf16(std::string(40, 'a')), "ignored: it is longer than a slot name can be"},
            {{'f', 0, 'b'}, "ignored: it is not UTF-16"},
            {{'p', 'r', 'i', 'm', 'a', 'r', 'y', 0}, "ignored: it is not a slot name"},
        };
        for (const auto& [bytes, needle] : cases) {
            v.one_shot = var(bytes);
            LoaderEntryOutcome o = apply_loader_entries(cfg, st, v, facts);
            INFO(needle);
            REQUIRE(o.line_count == 1);
            REQUIRE(std::string(o.lines[0].c_str()).rfind("wdboot: WARNING: LoaderEntryOneShot = ", 0) == 0);
            REQUIRE(any_line(o, needle));
            REQUIRE_FALSE(o.trial_requested);
            REQUIRE(st == before);
        }
    }
    SECTION("a default naming another slot: set_default, as wdbootctl set-default") {
        st.slots[fb].tries_left = 0;
        st.slots[fb].runtime_crashes = 2;
        REQUIRE(mark_bad(st, fb, 0) == Status::ok);
        v.default_entry = var(utf16("fallback"));
        LoaderEntryOutcome o = apply_loader_entries(cfg, st, v, facts);
        REQUIRE(o.default_set);
        REQUIRE(st.default_slot == fb);
        REQUIRE_FALSE(st.slots[fb].has(kSlotBad));
        REQUIRE(st.slots[fb].tries_left == st.slots[fb].max_tries);
        REQUIRE(st.slots[fb].runtime_crashes == 0);
        REQUIRE(st.journal_newest(0).event == Event::default_set);
        REQUIRE(any_line(o, "LoaderEntryDefault = \"fallback\": \"fallback\" is the default now"));
        SECTION("and once it is the record's default, nothing more") {
            BootState before = st;
            LoaderEntryOutcome again = apply_loader_entries(cfg, st, v, facts);
            REQUIRE_FALSE(again.default_set);
            REQUIRE(again.line_count == 0);
            REQUIRE(st == before);
        }
    }
    SECTION("a default naming the config's default, with no record default: made the record's") {
        v.default_entry = var(utf16("primary"));
        REQUIRE(apply_loader_entries(cfg, st, v, facts).default_set);
        REQUIRE(st.default_slot == st.find_slot("primary"));
    }
    SECTION("bad defaults: a warning, ignored") {
        BootState before = st;
        v.default_entry = var(utf16("nosuch"));
        LoaderEntryOutcome o = apply_loader_entries(cfg, st, v, facts);
        REQUIRE(any_line(o, "WARNING: LoaderEntryDefault = \"nosuch\" ignored: no such slot in the config"));
        v.default_entry = var({1, 2, 3});
        o = apply_loader_entries(cfg, st, v, facts);
        REQUIRE(any_line(o, "WARNING: LoaderEntryDefault = "));
        REQUIRE(any_line(o, "not UTF-16"));
        REQUIRE(st == before);
    }
    SECTION("both: the default is set, and the one-shot boots first") {
        v.default_entry = var(utf16("old"));
        v.one_shot = var(utf16("fallback"));
        LoaderEntryOutcome o = apply_loader_entries(cfg, st, v, facts);
        REQUIRE(o.line_count == 2);
        REQUIRE(st.default_slot == st.find_slot("old"));
        REQUIRE(st.journal_newest(1).event == Event::default_set);
        REQUIRE(st.journal_newest(0).event == Event::trial_requested);
        REQUIRE(choose(cfg, st, facts, BootSkips{}).config_slot == cfg.find("fallback"));
    }
}

TEST_CASE("run_boot: LoaderEntryOneShot boots its slot once, then the default order", "[loader-entries][flow]") {
    Machine m(wdtest::make_config({"primary", "fallback"}));
    auto first = m.boot(ResetCause::power_on);
    REQUIRE(first.slot == "primary");
    REQUIRE(m.bless(first.boot_id) == Status::ok);

    m.one_shot = utf16("fallback");
    auto b = m.boot(ResetCause::power_on);
    REQUIRE(b.entry_reads == 1);
    REQUIRE(b.slot == "fallback");
    REQUIRE_FALSE(m.one_shot.has_value());  // deleted by the loader
    REQUIRE(b.writes == 1);                 // the request and the attempt in one write
    BootState st = m.state();
    REQUIRE(st.attempt_slot == st.find_slot("fallback"));
    REQUIRE(st.slots[st.find_slot("fallback")].tries_left == 0);
    REQUIRE(st.journal_newest(0).event == Event::attempt);
    REQUIRE(st.journal_newest(1).event == Event::trial_requested);
    REQUIRE(st.default_slot == kNoSlot);

    SECTION("blessed: the next boot returns to the default") {
        REQUIRE(m.bless(b.boot_id) == Status::ok);
        auto c = m.boot(ResetCause::power_on);
        REQUIRE(c.slot == "primary");
        REQUIRE(m.state().default_slot == kNoSlot);
    }
    SECTION("the trial hangs: the watchdog reset is counted and the default boots") {
        auto c = m.boot(ResetCause::watchdog);
        REQUIRE(c.slot == "primary");
        BootState s2 = m.state();
        REQUIRE(s2.trial_slot == kNoSlot);
        REQUIRE(s2.slots[s2.find_slot("fallback")].last_outcome == Outcome::watchdog_reset);
    }
}

TEST_CASE("run_boot: a one-shot slot whose image is missing falls back in the same boot", "[loader-entries][flow]") {
    Machine m(wdtest::make_config({"primary", "fallback"}));
    m.one_shot = utf16("fallback");
    auto b = m.boot(ResetCause::power_on, {"fallback"});
    REQUIRE(b.slot == "primary");
    REQUIRE(b.loaded == std::vector<std::string>{"fallback", "primary"});
    REQUIRE_FALSE(m.one_shot.has_value());
    REQUIRE(m.state().trial_slot == kNoSlot);
}

TEST_CASE("run_boot: a one-shot that cannot be deleted boots the default, every time", "[loader-entries][flow]") {
    Machine m(wdtest::make_config({"primary", "fallback"}));
    m.one_shot = utf16("fallback");
    m.refuse_one_shot_delete = true;
    for (int i = 0; i < 3; ++i) {
        auto b = m.boot(ResetCause::power_on);
        REQUIRE(b.slot == "primary");
        REQUIRE(logged(b, "LoaderEntryOneShot = \"fallback\" ignored: it could not be deleted"));
        REQUIRE(m.bless(b.boot_id) == Status::ok);
    }
    REQUIRE(m.one_shot.has_value());
    REQUIRE(m.state().trial_slot == kNoSlot);
}

TEST_CASE("run_boot: LoaderEntryDefault makes its slot the default once and stays", "[loader-entries][flow]") {
    Machine m(wdtest::make_config({"primary", "fallback"}));
    m.default_entry = utf16("fallback");
    auto b = m.boot(ResetCause::power_on);
    REQUIRE(b.slot == "fallback");
    REQUIRE(b.writes == 1);
    REQUIRE(m.default_entry.has_value());  // bootctl status shows it
    BootState st = m.state();
    REQUIRE(st.default_slot == st.find_slot("fallback"));
    REQUIRE(journal_count_of(st, Event::default_set) == 1);
    REQUIRE(m.bless(b.boot_id) == Status::ok);
    auto c = m.boot(ResetCause::power_on);
    REQUIRE(c.slot == "fallback");
    REQUIRE_FALSE(logged(c, "LoaderEntryDefault"));
    REQUIRE(journal_count_of(m.state(), Event::default_set) == 1);
}

TEST_CASE("run_boot: an unknown LoaderEntryOneShot is said and the normal choice boots", "[loader-entries][flow]") {
    Machine m(wdtest::make_config({"primary", "fallback"}));
    m.one_shot = utf16("nosuch");
    auto b = m.boot(ResetCause::power_on);
    REQUIRE(b.slot == "primary");
    REQUIRE(logged(b, "wdboot: WARNING: LoaderEntryOneShot = \"nosuch\" ignored: no such slot in the config"));
    REQUIRE_FALSE(m.one_shot.has_value());
    REQUIRE(m.state().trial_slot == kNoSlot);
}
