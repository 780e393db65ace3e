// The record's boot journal in the systemd journal (journal_export.hpp): each entry
// once, with its MESSAGE_ID and WDBOOT_* fields; the ids agree with the catalog and the
// docs; failures leave the cursor where the sent entries end.
#include <catch2/catch.hpp>
#include <filesystem>
#include <regex>
#include <set>

#include "agent_fixture.hpp"
#include "journal_export.hpp"
#include "state_commands.hpp"

using namespace wdtest;

namespace {

std::string field(const std::vector<std::string>& f, const std::string& key) {
    for (const auto& x : f)
        if (x.rfind(key + "=", 0) == 0) return x.substr(key.size() + 1);
    return "<absent>";
}

std::vector<std::string> events(const std::vector<std::vector<std::string>>& sent, size_t from = 0) {
    std::vector<std::string> v;
    for (size_t i = from; i < sent.size(); ++i) v.push_back(field(sent[i], "WDBOOT_EVENT"));
    return v;
}

}  // namespace

TEST_CASE("journal export: mark-good sends each record entry once, oldest first, with its fields") {
    Agent a;
    a.write_config(kTwoSlotConfig);
    a.watchdog.on_load["i6300esb"] = WatchdogInfo{"watchdog0", "/dev/watchdog0", "i6300ESB timer", "inactive"};
    auto b = a.boot();
    REQUIRE(cmd_mark_good(a.env) == Exit::ok);
    REQUIRE(events(a.journal) == std::vector<std::string>{"state-created", "attempt", "blessed"});
    const auto& blessed = a.journal.back();
    CHECK(field(blessed, "MESSAGE_ID") == kEventMessageIds[static_cast<unsigned>(Event::blessed)]);
    CHECK(field(blessed, "WDBOOT_SLOT") == "primary");
    CHECK(field(blessed, "WDBOOT_BOOT_ID") == std::to_string(b.boot_id));
    CHECK(field(blessed, "WDBOOT_EVENT_TIME") == "1700000000");
    CHECK(field(blessed, "PRIORITY") == "6");
    CHECK(field(blessed, "SYSLOG_IDENTIFIER") == "wdbootctl");
    CHECK(field(blessed, "MESSAGE").find("wdboot: boot " + std::to_string(b.boot_id) + " of slot primary: blessed") == 0);

    // Nothing new: nothing sent.
    a.clear_output();
    REQUIRE(cmd_export_journal(a.env) == Exit::ok);
    CHECK(a.journal.size() == 3);
    CHECK(a.out.str().find("sent 0 record journal entries to test (3 sent before)") != std::string::npos);

    // A watchdog reset, then the fallback: only the new entries, and a failure is a warning.
    a.clock += 100;
    a.boot(ResetCause::power_on);
    a.boot(ResetCause::watchdog);
    REQUIRE(cmd_export_journal(a.env) == Exit::ok);
    const auto fresh = events(a.journal, 3);
    REQUIRE_FALSE(fresh.empty());
    CHECK(fresh.front() == "attempt");
    bool saw_reset = false;
    for (size_t i = 3; i < a.journal.size(); ++i)
        if (field(a.journal[i], "WDBOOT_EVENT") == "watchdog-reset") {
            saw_reset = true;
            CHECK(field(a.journal[i], "PRIORITY") == "4");
            CHECK(field(a.journal[i], "WDBOOT_RESET_CAUSE") == "watchdog");
        }
    CHECK(saw_reset);
}

TEST_CASE("journal export: more new entries than the ring holds sends what the ring has, no duplicates") {
    Agent a;
    a.write_config(kTwoSlotConfig);
    a.boot();
    REQUIRE(cmd_export_journal(a.env) == Exit::ok);
    const size_t first = a.journal.size();
    for (int i = 0; i < 20; ++i) {
        a.clock += 10;
        a.boot(ResetCause::power_on);
    }
    REQUIRE(cmd_export_journal(a.env) == Exit::ok);
    CHECK(a.journal.size() - first == kJournalEntries);  // the cursor's entries left the ring
    REQUIRE(cmd_export_journal(a.env) == Exit::ok);
    CHECK(a.journal.size() - first == kJournalEntries);
}

TEST_CASE("journal export: a failed send keeps the entries for the next run, mark-good is not affected") {
    Agent a;
    a.write_config(kTwoSlotConfig);
    a.watchdog.on_load["i6300esb"] = WatchdogInfo{"watchdog0", "/dev/watchdog0", "i6300ESB timer", "inactive"};
    a.boot();
    a.journal_fail = "journald not running";
    REQUIRE(cmd_mark_good(a.env) == Exit::ok);
    CHECK(a.state().state.attempt_slot == kNoSlot);
    CHECK(a.err.str().find("warning: sending boot") != std::string::npos);
    CHECK(a.err.str().find("journald not running") != std::string::npos);
    a.journal_fail.clear();
    a.clear_output();
    CHECK(cmd_export_journal(a.env) == Exit::ok);
    CHECK(events(a.journal) == std::vector<std::string>{"state-created", "attempt", "blessed"});
}

TEST_CASE("journal export: a cursor that cannot be saved means the entries go again (at least once)") {
    Agent a;
    a.write_config(kTwoSlotConfig);
    a.boot();
    write_text(a.dir / "var/lib/wdboot", "a file where the directory should be");
    CHECK(cmd_export_journal(a.env) == Exit::io_error);
    CHECK(a.err.str().find("was not saved") != std::string::npos);
    const size_t n = a.journal.size();
    CHECK(n > 0);
    CHECK(cmd_export_journal(a.env) == Exit::io_error);
    CHECK(a.journal.size() == 2 * n);
}

TEST_CASE("journal export: without efivarfs it fails like every reading command") {
    Agent a;
    a.env.efivars = nullptr;
    Efivarfs none(a.dir / "no-such-efivarfs", a.flags, a.mounts);
    a.env.efivars = &none;
    CHECK(cmd_export_journal(a.env) == Exit::no_efivarfs);
    CHECK(a.journal.empty());
}

TEST_CASE("journal export: the stderr sink's line") {
    CHECK(journal_fields_line({"PRIORITY=4", "MESSAGE=wdboot: boot 3: panic", "WDBOOT_EVENT=panic"}) ==
          "wdboot: boot 3: panic PRIORITY=4 WDBOOT_EVENT=panic");
}

TEST_CASE("MESSAGE_IDs: one per event, 128-bit, unique, in the catalog and in docs/agent.md") {
    const std::string catalog = read_text(std::string(WDBOOT_SOURCE_DIR) + "/catalog/wdboot.catalog");
    const std::string docs = read_text(std::string(WDBOOT_SOURCE_DIR) + "/docs/agent.md");
    REQUIRE_FALSE(catalog.empty());
    std::set<std::string> seen;
    const std::regex hex("^[0-9a-f]{32}$");
    for (unsigned ev = 1; ev <= kEventMax; ++ev) {
        const std::string id = kEventMessageIds[ev];
        INFO(to_string(static_cast<Event>(ev)));
        CHECK(std::regex_match(id, hex));
        CHECK(seen.insert(id).second);
        CHECK(catalog.find("-- " + id + "\n") != std::string::npos);
        CHECK(catalog.find(std::string("WDBOOT_EVENT=") + to_string(static_cast<Event>(ev)) + ".") != std::string::npos);
        CHECK(docs.find(id) != std::string::npos);
    }
    // The catalog has no id the agent does not send.
    std::regex entry("-- ([0-9a-f]{32})\n");
    for (auto it = std::sregex_iterator(catalog.begin(), catalog.end(), entry); it != std::sregex_iterator(); ++it)
        CHECK(seen.count((*it)[1].str()) == 1);
}

TEST_CASE("journal export: mark-good without efivarfs stops the watchdog and adds no export warning") {
    Agent a;
    a.write_config(kTwoSlotConfig);
    a.watchdog.on_load["i6300esb"] = WatchdogInfo{"watchdog0", "/dev/watchdog0", "i6300ESB timer", "inactive"};
    a.boot();
    write_text(a.dir / "cmdline", "root=/dev/vda2 efi=noruntime modprobe.blacklist=i6300esb\n");
    std::filesystem::rename(a.efivars, a.dir / "moved");
    CHECK(cmd_mark_good(a.env) == Exit::no_efivarfs);
    CHECK(a.watchdog.loaded == std::vector<std::string>{"i6300esb"});
    CHECK(a.err.str().find("record journal") == std::string::npos);
    CHECK(a.journal.empty());
}
