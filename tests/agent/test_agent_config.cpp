// agent.conf: the bytes it accepts (the same rules as wdboot.conf), the `config` path
// (the loader's own normaliser), and what a broken file does to each command: mark-good
// and disarm still disarm the watchdog with the built-in defaults, then exit 12.
#include <catch2/catch.hpp>

#include "agent_fixture.hpp"
#include "state_commands.hpp"
#include "wdboot/config.hpp"

using namespace wdtest;

namespace {

struct Parsed {
    bool ok;
    AgentConfig cfg;
    std::vector<ConfigMessage> messages;
};

Parsed parse(const std::string& text) {
    Parsed p;
    p.ok = parse_agent_config(text, p.cfg, p.messages);
    return p;
}

bool has_message(const Parsed& p, unsigned line, bool error, const std::string& needle) {
    for (const auto& m : p.messages)
        if (m.line == line && m.error == error && m.text.find(needle) != std::string::npos) return true;
    return false;
}

std::string describe(const Parsed& p) {
    std::string s;
    for (const auto& m : p.messages) s += std::to_string(m.line) + (m.error ? " error: " : " warning: ") + m.text + "\n";
    return s;
}

void i6300esb_driver_available(Agent& a) {
    a.watchdog.on_load["i6300esb"] = WatchdogInfo{"watchdog0", "/dev/watchdog0", "i6300ESB timer", "inactive"};
}

}  // namespace

TEST_CASE("agent.conf: a UTF-8 byte order mark and CRLF line ends change nothing") {
    for (const std::string bom : {"", "\xEF\xBB\xBF"}) {
        for (const std::string eol : {"\n", "\r\n"}) {
            auto p = parse(bom + "watchdog-mode = handover" + eol + "watchdog-wait = 5  " + eol + "# end" + eol);
            INFO(describe(p));
            CHECK(p.ok);
            CHECK(p.messages.empty());
            CHECK(p.cfg.watchdog_mode == WatchdogMode::handover);
            CHECK(p.cfg.watchdog_wait_s == 5);
        }
    }
}

TEST_CASE("agent.conf: a byte that is not ASCII outside a comment is an error that names it") {
    struct Case {
        std::string line;
        std::string message;
    };
    const Case cases[] = {
        {"watchdog-mode = hand\xC3\xB6ver", "line contains non-ASCII character U+00f6 at column 21; line ignored"},
        {"watchdog-mode\v= handover", "line contains control character 0x0b at column 14"},
        {"watchdog-mode = handover\xFF", "line contains non-ASCII byte 0xff at column 25"},
        {"esp = /boot/efi\rwatchdog-mode = handover", "control character 0x0d at column 16"},
        {"\xEF\xBB\xBFwatchdog-mode = handover", "byte order mark U+FEFF at column 1"},  // only at the start
    };
    for (const Case& c : cases) {
        INFO(c.line);
        auto p = parse("watchdog-wait = 3\n" + c.line + "\n");
        INFO(describe(p));
        CHECK_FALSE(p.ok);
        CHECK(has_message(p, 2, true, c.message));
        CHECK(p.cfg.watchdog_mode == WatchdogMode::disarm);
        CHECK(p.cfg.watchdog_wait_s == 3);
    }
    SECTION("comments may hold any text") {
        auto p = parse("# J\xC3\xBCrgen's machine\nwatchdog-mode = handover  # f\xC3\xBCr systemd\n");
        INFO(describe(p));
        CHECK(p.ok);
        CHECK(p.cfg.watchdog_mode == WatchdogMode::handover);
    }
    SECTION("a UTF-16 file is named as such") {
        auto p = parse(std::string("\xFF\xFEw\0a\0", 6));
        CHECK_FALSE(p.ok);
        CHECK(has_message(p, 1, true, "UTF-16"));
    }
}

TEST_CASE("agent.conf: config takes exactly the spellings the loader takes") {
    // Whatever the loader accepts as config= (and as a path in wdboot.conf), the agent
    // accepts as `config`, normalised to the same path; whatever it refuses, the agent
    // refuses too.
    const std::string spellings[] = {
        "\\EFI\\wdboot\\wdboot.conf",
        "/EFI/wdboot/wdboot.conf",
        "\\EFI/wdboot//wdboot.conf",
        "//EFI\\\\wdboot\\wdboot.conf",
        "/efi/WDBOOT/test.conf",
        "EFI\\wdboot\\wdboot.conf",
        "EFI/wdboot/wdboot.conf",
        "\\EFI\\wdboot\\",
        "\\EFI\\wd:boot\\wdboot.conf",
        "\\",
    };
    for (const std::string& path : spellings) {
        INFO(path);
        LoadOptions lo{};
        Diagnostics d{};
        const std::string word = "config=" + path;
        bool loader_ok = parse_load_options(word.data(), word.size(), lo, d) == Status::ok;
        auto p = parse("config = " + path + "\n");
        INFO(describe(p));
        CHECK(p.ok == loader_ok);
        if (loader_ok) {
            CHECK(p.cfg.config_path == lo.config_path);
        } else {
            CHECK(p.cfg.config_path == AgentConfig{}.config_path);
            CHECK(has_message(p, 1, true, "config: path"));
        }
    }
    auto p = parse("config = /EFI/wdboot/test.conf\n");
    CHECK(p.cfg.config_path == "\\EFI\\wdboot\\test.conf");
}

TEST_CASE("a broken agent.conf never keeps mark-good or disarm from disarming the watchdog") {
    Agent a;
    a.write_config(kTwoSlotConfig);
    i6300esb_driver_available(a);
    REQUIRE(a.boot().slot == "primary");
    const std::string conf = a.dir / "agent.conf";
    unsigned ran = 0;
    auto mark_good = [&](AgentEnv& e) {
        ++ran;
        return cmd_mark_good(e);
    };

    SECTION("mark-good: blessed and disarmed with the defaults, then exit 12") {
        // handover is not what a broken file gets: the built-in defaults (disarm) apply.
        write_text(conf, "watchdog-mode = handover\nwatchdog-wait = forever\n");
        CHECK(run_with_agent_config(a.env, conf, true, "mark-good", mark_good) == Exit::config);
        CHECK(ran == 1);
        CHECK(a.env.config.watchdog_mode == WatchdogMode::disarm);
        CHECK(a.watchdog.loaded == std::vector<std::string>{"i6300esb"});
        CHECK(a.state().state.attempt_slot == kNoSlot);
        CHECK(a.err.str().find(conf + ":2: error: watchdog-wait") != std::string::npos);
        CHECK(a.err.str().find("mark-good runs with the built-in defaults (watchdog-mode disarm)") != std::string::npos);
    }
    SECTION("mark-good: an explicit agent.conf that cannot be read") {
        CHECK(run_with_agent_config(a.env, a.dir / "missing.conf", true, "mark-good", mark_good) == Exit::config);
        CHECK(ran == 1);
        CHECK(a.state().state.attempt_slot == kNoSlot);
        CHECK(a.watchdog.loaded == std::vector<std::string>{"i6300esb"});
    }
    SECTION("mark-good: a failure of its own keeps its own code") {
        write_text(conf, "watchdog-mode = sometimes\n");
        a.watchdog.fail_load = "modprobe: FATAL";
        CHECK(run_with_agent_config(a.env, conf, true, "mark-good", mark_good) == Exit::watchdog);
        // Not blessed: recorded as a watchdog that could not be stopped (docs/boot-flow.md).
        CHECK(a.state().state.attempt_slot != kNoSlot);
        CHECK(a.state().state.journal_newest(0).event == Event::disarm_failed);
    }
    SECTION("disarm: stops the watchdog with the defaults, then exit 12") {
        write_text(conf, "disarm-method = gently\n");
        CHECK(run_with_agent_config(a.env, conf, true, "disarm", [](AgentEnv& e) { return cmd_disarm(e, ""); }) ==
              Exit::config);
        CHECK(a.watchdog.loaded == std::vector<std::string>{"i6300esb"});
    }
    SECTION("every other command refuses with 12 and does not run") {
        write_text(conf, "watchdog-mode = sometimes\n");
        for (const char* command : {"status", "log", "mark-bad", "set-default", "try", "reset", "health", "install",
                                    "uninstall", "add-slot", "remove-slot"}) {
            INFO(command);
            CHECK(run_with_agent_config(a.env, conf, true, command, mark_good) == Exit::config);
        }
        CHECK(ran == 0);
        CHECK(a.watchdog.loaded.empty());
    }
    SECTION("a good agent.conf: the command's own result, the file's settings") {
        write_text(conf, "\xEF\xBB\xBFwatchdog-wait = 0\r\nesp = " + (a.dir / "esp") + "\r\n");
        CHECK(run_with_agent_config(a.env, conf, true, "mark-good", mark_good) == Exit::ok);
        CHECK(a.env.config.watchdog_wait_s == 0);
        CHECK(a.state().state.attempt_slot == kNoSlot);
    }
}

TEST_CASE("agent.conf: runtime-watchdog is systemd's RuntimeWatchdogSec= for a handover, 10..600 s") {
    CHECK(parse("").cfg.runtime_watchdog_s == 60);
    auto p = parse("watchdog-mode = handover\nruntime-watchdog = 20\n");
    INFO(describe(p));
    CHECK(p.ok);
    CHECK(p.cfg.runtime_watchdog_s == 20);
    for (const std::string bad : {"9", "601", "20s", "", "-1"}) {
        auto b = parse("runtime-watchdog = " + bad + "\n");
        INFO(bad);
        CHECK_FALSE(b.ok);
        CHECK(has_message(b, 1, true, "runtime-watchdog must be 10..600 seconds"));
        CHECK(b.cfg.runtime_watchdog_s == 60);
    }
}
