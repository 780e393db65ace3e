// `status --json` as a stable schema (docs/agent.md) and `metrics` in the Prometheus
// text format: the full key set is pinned, the exposition is checked by a strict parser
// of the format (version 0.0.4) and its values against the record.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <map>
#include <regex>
#include <set>

#include "agent_fixture.hpp"
#include "metrics_command.hpp"
#include "report_commands.hpp"
#include "state_commands.hpp"

using namespace wdtest;

namespace {

std::set<std::string> keys(const nlohmann::json& j) {
    std::set<std::string> k;
    for (auto it = j.begin(); it != j.end(); ++it) k.insert(it.key());
    return k;
}

// A strict reader of the text exposition format: every line a HELP, a TYPE or a sample;
// HELP and TYPE once per family and before its samples; a family's samples together;
// names and label names by the format's grammar; label values quoted with only \\, \"
// and \n escaped; a value that parses as a number; no series twice; a final newline.
// Returns the samples as "name{labels}" -> value; any violation fails the test.
std::map<std::string, double> parse_exposition(const std::string& text) {
    std::map<std::string, double> samples;
    REQUIRE_FALSE(text.empty());
    REQUIRE(text.back() == '\n');
    const std::regex help("^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$");
    const std::regex type("^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$");
    const std::regex sample("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)\\})? ([^ ]+)$");
    const std::regex label("^([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\\\n]|\\\\[\\\\\"n])*)\"(,|$)");
    std::set<std::string> helped, typed, finished;
    std::string current;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        INFO(line);
        std::smatch m;
        if (std::regex_match(line, m, help)) {
            CHECK(helped.insert(m[1]).second);
            if (m[1] != current) {
                if (!current.empty()) finished.insert(current);
                current = m[1];
            }
            CHECK(finished.count(current) == 0);
        } else if (std::regex_match(line, m, type)) {
            CHECK(typed.insert(m[1]).second);
            CHECK(m[1] == current);
        } else if (std::regex_match(line, m, sample)) {
            const std::string name = m[1];
            CHECK(name == current);
            CHECK(typed.count(name) == 1);
            CHECK(helped.count(name) == 1);
            std::string labels = m[3];
            std::set<std::string> names;
            while (!labels.empty()) {
                std::smatch l;
                REQUIRE(std::regex_search(labels, l, label));
                CHECK(names.insert(l[1]).second);
                labels = l.suffix();
            }
            char* end = nullptr;
            const std::string v = m[4];
            const double d = std::strtod(v.c_str(), &end);
            CHECK(*end == '\0');
            CHECK(std::isfinite(d));
            CHECK(samples.emplace(name + (m[2].matched ? m[2].str() : ""), d).second);
        } else {
            FAIL("not a line of the text format");
        }
    }
    return samples;
}

}  // namespace

TEST_CASE("status --json: the schema's full key set is pinned") {
    Agent a;
    a.write_config(kTwoSlotConfig);
    a.boot(ResetCause::power_on, {"primary"});  // primary fails to load: a last_failure
    a.env.json = true;
    REQUIRE(cmd_status(a.env) == Exit::ok);
    const auto j = nlohmann::json::parse(a.out.str());
    CHECK(j["schema"] == 1);
    CHECK(keys(j) == std::set<std::string>{"schema", "booted", "watchdog", "default", "default_source", "trial",
                                           "last_good", "attempt", "generation", "source_copy", "read_only", "copies",
                                           "slots", "last_failure", "crash_loop", "last_runtime_crash",
                                           "blesser_conflicts", "secure_boot"});
    CHECK(keys(j["booted"]) == std::set<std::string>{"slot", "index", "boot_id", "blessed"});
    CHECK(keys(j["watchdog"]) == std::set<std::string>{"driver", "timeout", "device", "state", "armed", "detail", "mode"});
    CHECK(keys(j["attempt"]) == std::set<std::string>{"slot", "boot_id"});
    CHECK(keys(j["copies"][0]) == std::set<std::string>{"name", "present", "status", "generation"});
    CHECK(keys(j["slots"][0]) == std::set<std::string>{"index", "name", "tries_left", "max_tries", "flags",
                                                       "consecutive_failures", "last_outcome", "last_boot_id", "boots",
                                                       "runtime_crashes"});
    CHECK(keys(j["last_failure"]) == std::set<std::string>{"time", "time_text", "boot_id", "slot", "event",
                                                           "reset_cause", "detail", "detail_text"});
    CHECK(j["last_failure"]["event"] == "load-failed");
    CHECK(keys(j["secure_boot"]) == std::set<std::string>{"enabled", "loader_saw", "policy", "policy_source",
                                                          "policy_detail", "boot_entry", "boot_entry_policy",
                                                          "next_boot_policy", "refused_slots", "unchecked_slots"});
    // The schema documents every key it has (docs/agent.md's status table).
    const std::string docs = read_text(std::string(WDBOOT_SOURCE_DIR) + "/docs/agent.md");
    for (const auto& k : keys(j)) {
        INFO(k);
        CHECK(docs.find("| `" + k) != std::string::npos);
    }
}

TEST_CASE("metrics: the exposition parses strictly and says what the record says") {
    Agent a;
    a.write_config(kTwoSlotConfig);
    a.boot(ResetCause::power_on, {"primary"});
    REQUIRE(cmd_metrics(a.env, "") == Exit::ok);
    const std::string text = a.out.str();
    const auto m = parse_exposition(text);
    const LoadedState l = a.state();
    auto at = [&](const std::string& series) {
        INFO(series);
        REQUIRE(m.count(series) == 1);
        return m.at(series);
    };
    CHECK(at(std::string("wdboot_info{version=\"") + WDBOOT_VERSION + "\",schema=\"1\"}") == 1);
    CHECK(at("wdboot_slot_tries_left{slot=\"primary\"}") == l.state.slots[0].tries_left);
    CHECK(at("wdboot_slot_tries_left{slot=\"fallback\"}") == l.state.slots[1].tries_left);
    CHECK(at("wdboot_slot_max_tries{slot=\"primary\"}") == 3);
    CHECK(at("wdboot_slot_failed_hard{slot=\"primary\"}") == 1);
    CHECK(at("wdboot_slot_failed_hard{slot=\"fallback\"}") == 0);
    CHECK(at("wdboot_slot_bad{slot=\"primary\"}") == 0);
    CHECK(at("wdboot_slot_good{slot=\"fallback\"}") == 0);
    CHECK(at("wdboot_journal_failed_attempts") == 1);
    CHECK(at("wdboot_journal_events{event=\"load-failed\"}") == 1);
    CHECK(at("wdboot_journal_entries") == l.state.journal_count);
    CHECK(at("wdboot_last_failure_timestamp_seconds") == 1700000000);
    CHECK(at("wdboot_booted_slot_info{slot=\"fallback\"}") == 1);
    CHECK(at("wdboot_boot_blessed") == 0);
    CHECK(at("wdboot_watchdog_timeout_seconds") == 30);
    CHECK(at("wdboot_watchdog_armed") == 1);
    CHECK(at("wdboot_record_generation") == l.state.generation);
    CHECK(at("wdboot_blesser_conflicts") == 0);
    bool info = false;
    for (const auto& [k, v] : m)
        if (k.rfind("wdboot_last_failure_info{event=\"load-failed\"", 0) == 0) info = v == 1;
    CHECK(info);

    SECTION("a blessing and a runtime hang show up") {
        a.watchdog.on_load["i6300esb"] = WatchdogInfo{"watchdog0", "/dev/watchdog0", "i6300ESB timer", "inactive"};
        REQUIRE(cmd_mark_good(a.env) == Exit::ok);
        a.boot(ResetCause::watchdog);
        a.clear_output();
        REQUIRE(cmd_metrics(a.env, "") == Exit::ok);
        const auto m2 = parse_exposition(a.out.str());
        CHECK(m2.at("wdboot_slot_good{slot=\"fallback\"}") == 1);
        CHECK(m2.at("wdboot_journal_runtime_crashes") == 1);
        CHECK(m2.at("wdboot_journal_events{event=\"runtime-hang\"}") == 1);
    }
}

TEST_CASE("metrics --output: FILE.tmp renamed to FILE, a failed rename leaves the old file") {
    Agent a;
    a.write_config(kTwoSlotConfig);
    a.boot();
    const std::string file = a.dir / "wdboot.prom";
    REQUIRE(cmd_metrics(a.env, file) == Exit::ok);
    CHECK(a.out.str().empty());
    CHECK(parse_exposition(read_text(file)).count("wdboot_journal_entries") == 1);
    CHECK(access((file + ".tmp").c_str(), F_OK) != 0);

    struct FailingRename final : FileSync {
        std::vector<std::string> calls;
        int fsync(int fd) override {
            calls.push_back("fsync");
            return FileSync::fsync(fd);
        }
        int rename(const char* from, const char* to) override {
            calls.push_back(std::string("rename ") + from + " " + to);
            errno = EIO;
            return -1;
        }
    } sync;
    a.env.file_sync = &sync;
    write_text(file, "old\n");
    CHECK(cmd_metrics(a.env, file) == Exit::io_error);
    CHECK(sync.calls == std::vector<std::string>{"fsync", "rename " + file + ".tmp " + file});
    CHECK(read_text(file) == "old\n");
    CHECK(access((file + ".tmp").c_str(), F_OK) != 0);
}

TEST_CASE("metrics: label values are escaped") {
    BootState st{};
    nlohmann::json j = {{"schema", 1},       {"slots", nlohmann::json::array()}, {"last_failure", nullptr},
                        {"booted", nullptr}, {"generation", 1},                   {"blesser_conflicts", nlohmann::json::array()},
                        {"watchdog", {{"driver", "a\"b\\c\nd"}, {"mode", "disarm"}, {"armed", nullptr}, {"timeout", 0}}}};
    const std::string text = metrics_text(j, st);
    CHECK(text.find("driver=\"a\\\"b\\\\c\\nd\"") != std::string::npos);
    CHECK(parse_exposition(text).size() > 5);
}

TEST_CASE("metrics: prometheus_client's own parser reads the exposition (when python3-prometheus-client is installed)") {
    if (std::system("/usr/bin/python3 -c 'import prometheus_client' 2>/dev/null") != 0) {
        WARN("python3-prometheus-client not installed: only the strict parser above checked the format");
        return;
    }
    Agent a;
    a.write_config(kTwoSlotConfig);
    a.boot(ResetCause::power_on, {"primary"});
    const std::string file = a.dir / "wdboot.prom";
    REQUIRE(cmd_metrics(a.env, file) == Exit::ok);
    const size_t series = parse_exposition(read_text(file)).size();
    // The official parser must read every sample the strict one read, with the same count.
    const std::string cmd = "/usr/bin/python3 -c \"import sys; from prometheus_client.parser import "
                            "text_string_to_metric_families as p; "
                            "n = sum(len(f.samples) for f in p(open(sys.argv[1]).read())); "
                            "sys.exit(0 if n == int(sys.argv[2]) else 1)\" " + file + " " + std::to_string(series);
    CHECK(std::system(cmd.c_str()) == 0);
}
