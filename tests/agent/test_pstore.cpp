// efi_pstore's kernel panic dumps: names, text, the sweep that archives them under the
// crashed boot and keeps them out of NVRAM, `wdbootctl pstore`, `log` and mark-good.
//
// The dumps are made the way the kernel makes them (fs/pstore/platform.c, efi-pstore.c
// of Linux 6.1): the end of the log cut into parts from the end, part 1 the newest,
// each headed `Panic#1 PartN`, every line with its `<level>` prefix; as pstorefs shows
// them (`dmesg-efi-ID`, ID = (TIME * 100 + PART) * 1000 + COUNT) and as the variables
// efivarfs lists (`dump-type0-PART-COUNT-TIME-C-<guid>`, content not decoded here).
// data/panic-sysrq-6.1.log is a Debian 12 kernel log of `echo c > /proc/sysrq-trigger`
// written after the kernel's output format (not captured from a machine).
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "agent_fixture.hpp"
#include "panic_archive.hpp"
#include "pstore_command.hpp"
#include "pstore_dump.hpp"
#include "report_commands.hpp"
#include "state_commands.hpp"

namespace fs = std::filesystem;
using namespace wdtest;

namespace {

const std::string kSysrqLog = read_text(WDBOOT_AGENT_TEST_DATA "/panic-sysrq-6.1.log");

const std::string kOopsLog =
    "<6>[  101.900311] crashme: loading out-of-tree module taints kernel.\n"
    "<1>[  102.331405] BUG: kernel NULL pointer dereference, address: 0000000000000000\n"
    "<1>[  102.331822] #PF: supervisor write access in kernel mode\n"
    "<1>[  102.332139] #PF: error_code(0x0002) - not-present page\n"
    "<6>[  102.332446] PGD 0 P4D 0 \n"
    "<4>[  102.332602] Oops: 0002 [#1] PREEMPT SMP NOPTI\n"
    "<4>[  102.332866] CPU: 1 PID: 733 Comm: insmod Tainted: G           O       6.1.0-57-amd64 #1  Debian 6.1.158-1\n"
    "<4>[  102.333391] RIP: 0010:crashme_init+0x11/0x1000 [crashme]\n"
    "<4>[  102.339120] Call Trace:\n"
    "<4>[  102.339277]  <TASK>\n"
    "<4>[  102.339410]  do_one_initcall+0x41/0x200\n"
    "<4>[  102.341882]  </TASK>\n"
    "<0>[  102.342005] Kernel panic - not syncing: Fatal exception\n"
    "<0>[  102.342611] Kernel Offset: 0x1e00000 from 0xffffffff81000000 (relocation range: 0xffffffff80000000-0xffffffffbfffffff)\n"
    "<0>[  102.343201] ---[ end Kernel panic - not syncing: Fatal exception ]---\n";

std::string var_file(unsigned part, unsigned count, uint64_t time) {
    return "dump-type0-" + std::to_string(part) + "-" + std::to_string(count) + "-" + std::to_string(time) + "-C-" +
           kPstoreVendorGuidText;
}

std::string pstore_file(unsigned part, unsigned count, uint64_t time) {
    return "dmesg-efi-" + std::to_string((time * 100 + part) * 1000 + count);
}

// The log cut as the kernel's dumper cuts it: from the end, at most `chunk` bytes of
// whole lines per part, part 1 the newest.
std::vector<std::string> cut_parts(const std::string& log, size_t chunk, const std::string& reason = "Panic") {
    std::vector<std::string> lines;
    size_t start = 0;
    while (start < log.size()) {
        size_t nl = log.find('\n', start);
        lines.push_back(log.substr(start, nl + 1 - start));
        start = nl + 1;
    }
    std::vector<std::string> parts;
    std::string cur;
    for (size_t i = lines.size(); i-- > 0;) {
        if (!cur.empty() && cur.size() + lines[i].size() > chunk) {
            parts.push_back(cur);
            cur.clear();
        }
        cur = lines[i] + cur;
    }
    if (!cur.empty()) parts.push_back(cur);
    for (size_t p = 0; p < parts.size(); ++p)
        parts[p] = reason + "#1 Part" + std::to_string(p + 1) + "\n" + parts[p];
    return parts;
}

// A panic as the reboot after it shows it: pstorefs files (when `in_pstorefs`) and the
// NV variables in efivarfs. Returns the number of parts.
// Parts after `next_second_from` carry time + 1, as when the kernel's writes straddle a second.
size_t leave_dump(Agent& a, const std::string& pstorefs, const std::string& log, uint64_t first_time, unsigned count = 0,
                  bool in_pstorefs = true, const std::string& reason = "Panic", unsigned next_second_from = 0) {
    auto parts = cut_parts(log, 1024, reason);
    for (size_t p = 0; p < parts.size(); ++p) {
        const unsigned part = static_cast<unsigned>(p + 1);
        const uint64_t time = next_second_from != 0 && part >= next_second_from ? first_time + 1 : first_time;
        if (in_pstorefs) write_text(pstorefs + "/" + pstore_file(part, count, time), parts[p], 0444);
        write_text(a.efivars + "/" + var_file(part, count, time), std::string("\x07\0\0\0x\x9c", 6) + "deflated");
    }
    return parts.size();
}

struct PstoreAgent : Agent {
    // The fixture points env.pstore into its temporary directory.
    PstoreAgent() { fs::create_directories(env.pstore.pstorefs); }
    unsigned dump_vars() {
        unsigned n = 0;
        std::string why;
        REQUIRE(count_pstore_variables(efivars, n, why));
        return n;
    }
    SweepReport sweep(const BootState& st) { return sweep_pstore(env.pstore, *vars, st, system_file_sync()); }
};

BootState journal_of(std::initializer_list<std::pair<uint32_t, Event>> entries) {
    BootState st = BootState::empty();
    uint64_t t = 1700000000;
    for (auto [id, ev] : entries) st.journal_add(id, 0, ev, ResetCause::unknown, 0, t += 60);
    return st;
}

}  // namespace

TEST_CASE("pstore names: efivarfs variables and pstorefs files") {
    DumpKey k;
    unsigned part = 0;
    CHECK(parse_dump_variable(var_file(3, 1, 1732950000), k, part));
    CHECK(k == DumpKey{1732950000, 1});
    CHECK(part == 3);
    CHECK(parse_dump_variable(std::string("dump-type0-1-0-1732950000-D-") + kPstoreVendorGuidText, k, part));
    CHECK(parse_dump_variable(std::string("dump-type0-12-0-1732950000-") + kPstoreVendorGuidText, k, part));  // old kernels
    CHECK(part == 12);
    CHECK_FALSE(parse_dump_variable(std::string("dump-type1-1-0-1732950000-C-") + kPstoreVendorGuidText, k, part));
    CHECK_FALSE(parse_dump_variable("dump-type0-1-0-1732950000-C-50eee850-2e5c-44e5-ac3d-627587d76014", k, part));
    CHECK_FALSE(parse_dump_variable(std::string("dump-type0-1-x-1732950000-C-") + kPstoreVendorGuidText, k, part));
    CHECK_FALSE(parse_dump_variable(std::string("dump-type0-1-0-1732950000-Z-") + kPstoreVendorGuidText, k, part));
    CHECK_FALSE(parse_dump_variable(std::string("WdbootStateA-") + kPstoreVendorGuidText, k, part));

    CHECK(parse_pstore_file("dmesg-efi-173295000014002", k, part));
    CHECK(k == DumpKey{1732950000, 2});
    CHECK(part == 14);
    CHECK(pstore_file(14, 2, 1732950000) == "dmesg-efi-173295000014002");
    CHECK_FALSE(parse_pstore_file("dmesg-efi-173295000014002.enc.z", k, part));
    CHECK_FALSE(parse_pstore_file("dmesg-ramoops-0", k, part));
    CHECK_FALSE(parse_pstore_file("dmesg-efi-", k, part));
}

TEST_CASE("pstore text: parts joined oldest first, headers and levels removed, the panic excerpt") {
    auto parts = cut_parts(kSysrqLog, 1024);
    REQUIRE(parts.size() >= 3);
    CHECK(dump_reason(parts[0]) == "Panic");
    CHECK(dump_reason("Oops#2 Part1\n<4>[ 1.0] x\n") == "Oops");
    CHECK(dump_reason("garbage\n") == "");
    std::vector<DumpPart> dp;
    // Given in any order (a directory listing): the part numbers decide.
    for (size_t i = 0; i < parts.size(); ++i) dp.push_back({static_cast<unsigned>(i + 1), parts[i]});
    std::swap(dp[0], dp[1]);
    const std::string text = dump_log_text(dp);
    CHECK(text.find("Panic#1") == std::string::npos);
    CHECK(text.find("<4>") == std::string::npos);
    CHECK(text.rfind("[   29.873012] systemd[1]: Started systemd-journald", 0) == 0);
    CHECK(text.find("[   31.750420] Kernel Offset") != std::string::npos);
    CHECK(text.find("sysrq: Trigger a crash") < text.find("Kernel panic - not syncing"));

    SECTION("sysrq: from the trigger, the panic line and what follows, at most the limit") {
        auto ex = panic_excerpt(text, 16);
        REQUIRE(ex.size() == 16);
        CHECK(ex[0] == "[   31.742010] sysrq: Trigger a crash");
        CHECK(ex[1] == "[   31.742392] Kernel panic - not syncing: sysrq triggered crash");
        CHECK(ex[2].find("CPU: 0 PID: 412 Comm: sh") != std::string::npos);
    }
    SECTION("an oops: from its BUG: line; the closing end-of-panic line is not the panic line") {
        auto ex = panic_excerpt(dump_log_text({{1, "Panic#1 Part1\n" + kOopsLog}}), 20);
        REQUIRE_FALSE(ex.empty());
        CHECK(ex[0].find("BUG: kernel NULL pointer dereference") != std::string::npos);
        CHECK(ex[11].find("Kernel panic - not syncing: Fatal exception") != std::string::npos);
        CHECK(ex.back().find("---[ end Kernel panic") != std::string::npos);
    }
    SECTION("a panic far below its oops head still shows the panic line, with lines before it") {
        std::string log = "[ 1.0] BUG: something\n";
        for (int i = 0; i < 40; ++i) log += "[ 1.1] trace line " + std::to_string(i) + "\n";
        log += "[ 1.2] Kernel panic - not syncing: Fatal exception\n[ 1.3] Kernel Offset: disabled\n";
        auto ex = panic_excerpt(log, 10);
        REQUIRE(ex.size() == 7);
        CHECK(ex[0] == "[ 1.1] trace line 35");
        CHECK(ex[5] == "[ 1.2] Kernel panic - not syncing: Fatal exception");
    }
    SECTION("no panic line: the last lines") {
        auto ex = panic_excerpt("a\nb\nc\n\n", 2);
        CHECK(ex == std::vector<std::string>{"b", "c"});
        CHECK(panic_excerpt("", 5).empty());
    }
}

TEST_CASE("pstore sweep without a panic entry: the dump is kept as dump-TIME-COUNT and leaves NVRAM") {
    PstoreAgent a;
    const size_t parts = leave_dump(a, a.env.pstore.pstorefs, kSysrqLog, 1732950000);
    REQUIRE(a.dump_vars() == parts);
    // A variable of another vendor and a pstorefs file of another backend stay.
    write_text(a.efivars + "/Boot0001-8be4df61-93ca-11d2-aa0d-00e098032b8c", std::string("\x07\0\0\0ab", 6));
    write_text(a.env.pstore.pstorefs + "/dmesg-ramoops-0", "Oops#1 Part1\nx\n");

    SweepReport r = a.sweep(BootState::empty());
    CHECK(r.problems.empty());
    REQUIRE(r.archived == std::vector<std::string>{a.env.pstore.archive + "/dump-1732950000-0.txt"});
    CHECK(r.pstorefs_removed == parts);
    CHECK(r.variables_removed == parts);  // the fake pstorefs does not erase them; efivarfs does
    CHECK(r.counted);
    CHECK(r.variables_left == 0);
    CHECK(a.dump_vars() == 0);
    CHECK(fs::exists(a.efivars + "/Boot0001-8be4df61-93ca-11d2-aa0d-00e098032b8c"));
    CHECK(fs::exists(a.env.pstore.pstorefs + "/dmesg-ramoops-0"));
    const std::string archived = read_text(r.archived[0]);
    CHECK(archived.rfind("wdboot-panic 1\ndump: 1732950000-0\nreason: Panic\nsource: " + a.env.pstore.pstorefs, 0) == 0);
    CHECK(archived.find("Kernel panic - not syncing: sysrq triggered crash") != std::string::npos);

    SECTION("a second sweep finds nothing new and writes nothing") {
        SweepReport again = a.sweep(BootState::empty());
        CHECK(again.archived.empty());
        CHECK(again.problems.empty());
        CHECK(again.variables_left == 0);
    }
}

TEST_CASE("pstore sweep: what systemd-pstore archived is read there, and its variables deleted") {
    PstoreAgent a;
    // systemd 252 moved the files to /var/lib/systemd/pstore/ID-PREFIX/ and deleted them
    // from pstorefs; here the variables are still in NVRAM (an erase that failed).
    const uint64_t t = 1732951234;
    const std::string sub = a.env.pstore.systemd_archive + "/" + std::to_string(t * 100000 + 1000).substr(0, 9);
    const size_t parts = leave_dump(a, sub, kOopsLog, t, 0);
    // A later systemd's layout: ID-PREFIX/COUNT/.
    leave_dump(a, a.env.pstore.systemd_archive + "/17329600000/001", kSysrqLog, 1732960000, 1);
    SweepReport r = a.sweep(BootState::empty());
    CHECK(r.problems.empty());
    CHECK(r.archived.size() == 2);
    CHECK(r.variables_removed == parts + cut_parts(kSysrqLog, 1024).size());
    CHECK(a.dump_vars() == 0);
    CHECK(fs::exists(sub));  // systemd's archive is systemd's
    CHECK(read_text(a.env.pstore.archive + "/dump-1732951234-0.txt").find("BUG: kernel NULL pointer") !=
          std::string::npos);
}

TEST_CASE("pstore: one dump's parts written across a second boundary are one dump") {
    // dump_keys: same count, parts rising with time, within kDumpSpanSeconds of part 1.
    const std::vector<std::pair<DumpKey, unsigned>> parts = {
        {{1000, 1}, 1}, {{1000, 1}, 2}, {{1001, 1}, 3}, {{1001, 1}, 4},  // one panic
        {{1300, 1}, 1}, {{1300, 1}, 2},                                   // the next boot's panic
        {{1001, 2}, 1},                                                   // another count
    };
    const auto keys = dump_keys(parts);
    for (size_t i = 0; i < 4; ++i) CHECK(keys[i] == DumpKey{1000, 1});
    CHECK(keys[4] == DumpKey{1300, 1});
    CHECK(keys[5] == DumpKey{1300, 1});
    CHECK(keys[6] == DumpKey{1001, 2});

    // As Linux 6.1 wrote a sysrq panic under OVMF: parts 1-5 at T, 6-N at T+1, and
    // systemd-pstore 252 put all of them in one ID-PREFIX directory. The archive holds
    // the panic (part 1), every variable goes.
    PstoreAgent a;
    const uint64_t t = 1796027805;
    const std::string sub = a.env.pstore.systemd_archive + "/" + std::to_string(t).substr(0, 9);
    std::string log;
    for (int i = 0; i < 120; ++i) log += "<6>[    1." + std::to_string(100000 + i) + "] early boot line " + std::to_string(i) + "\n";
    log += kSysrqLog;
    const size_t n = leave_dump(a, sub, log, t, 1, true, "Panic", 6);
    REQUIRE(n >= 8);
    SweepReport r = a.sweep(journal_of({{7, Event::runtime_panic}}));
    CHECK(r.problems.empty());
    REQUIRE(r.archived.size() == 1);
    CHECK(r.variables_removed == n);
    CHECK(a.dump_vars() == 0);
    const std::string text = read_text(a.env.pstore.archive + "/boot-7.txt");
    CHECK(text.find("dump: " + std::to_string(t) + "-1") != std::string::npos);
    CHECK(text.find("Kernel panic - not syncing") != std::string::npos);
}

TEST_CASE("pstore sweep: dumps nobody can read stay, up to a bound, beyond it they are saved raw and deleted") {
    PstoreAgent a;
    // efi_pstore not loaded: the variables are in efivarfs only, compressed.
    for (unsigned i = 0; i < kMaxUnreadDumps; ++i) leave_dump(a, "", kSysrqLog, 1732900000 + i * 100, 0, false);
    const unsigned per_dump = static_cast<unsigned>(cut_parts(kSysrqLog, 1024).size());
    SweepReport r = a.sweep(BootState::empty());
    CHECK(r.problems.empty());
    CHECK(r.variables_removed == 0);
    CHECK(r.variables_left == kMaxUnreadDumps * per_dump);

    leave_dump(a, "", kSysrqLog, 1732990000, 0, false);
    r = a.sweep(BootState::empty());
    CHECK(r.problems.empty());
    CHECK(r.variables_saved_raw == per_dump);
    CHECK(r.variables_left == kMaxUnreadDumps * per_dump);
    // The oldest went, byte for byte into raw/.
    CHECK_FALSE(fs::exists(a.efivars + "/" + var_file(1, 0, 1732900000)));
    CHECK(read_text(a.env.pstore.archive + "/raw/" + var_file(1, 0, 1732900000)) ==
          std::string("\x07\0\0\0x\x9c", 6) + "deflated");
    CHECK(fs::exists(a.efivars + "/" + var_file(1, 0, 1732990000)));
}

TEST_CASE("pstore sweep errors are reported, never thrown, and the rest is still done") {
    PstoreAgent a;
    SECTION("missing pstorefs and systemd archive: nothing to do, no problem") {
        fs::remove_all(a.env.pstore.pstorefs);
        SweepReport r = a.sweep(BootState::empty());
        CHECK(r.problems.empty());
        CHECK(r.counted);
        CHECK_FALSE(fs::exists(a.env.pstore.archive));  // made only when there is something to keep
    }
    SECTION("a part that cannot be read: that dump stays everywhere, the others are archived") {
        leave_dump(a, a.env.pstore.pstorefs, kSysrqLog, 1732950000);
        leave_dump(a, a.env.pstore.pstorefs, kOopsLog, 1732960000);
        // A regular file whose read() fails (EIO), for root too.
        const std::string bad = a.env.pstore.pstorefs + "/" + pstore_file(1, 0, 1732950000);
        fs::remove(bad);
        fs::create_symlink("/proc/self/mem", bad);
        SweepReport r = a.sweep(BootState::empty());
        REQUIRE(r.problems.size() == 1);
        CHECK(r.problems[0].find("cannot read") != std::string::npos);
        CHECK(r.archived.size() == 1);
        CHECK(fs::exists(a.efivars + "/" + var_file(1, 0, 1732950000)));
        CHECK_FALSE(fs::exists(a.efivars + "/" + var_file(1, 0, 1732960000)));
    }
    SECTION("garbage in a dmesg-efi file is archived as it is, with reason unknown") {
        write_text(a.env.pstore.pstorefs + "/" + pstore_file(1, 0, 1732950000), std::string("\x01\xff\0garbage", 10));
        write_text(a.efivars + "/" + var_file(1, 0, 1732950000), std::string("\x07\0\0\0zz", 6));
        SweepReport r = a.sweep(BootState::empty());
        CHECK(r.problems.empty());
        REQUIRE(r.archived.size() == 1);
        CHECK(read_text(r.archived[0]).find("reason: unknown\n") != std::string::npos);
        CHECK(a.dump_vars() == 0);
    }
    SECTION("an archive directory that cannot be made: nothing archived, nothing deleted") {
        write_text(a.dir / "file", "x");
        a.env.pstore.archive = a.dir / "file/pstore";
        const size_t parts = leave_dump(a, a.env.pstore.pstorefs, kSysrqLog, 1732950000);
        SweepReport r = a.sweep(BootState::empty());
        REQUIRE_FALSE(r.problems.empty());
        CHECK(r.problems[0].find("cannot create") != std::string::npos);
        CHECK(r.archived.empty());
        CHECK(r.variables_left == parts);
        CHECK(fs::exists(a.env.pstore.pstorefs + "/" + pstore_file(1, 0, 1732950000)));
    }
    SECTION("an efivarfs directory that cannot be listed: not counted") {
        fs::remove_all(a.efivars);
        SweepReport r = a.sweep(BootState::empty());
        CHECK_FALSE(r.counted);
        REQUIRE(r.problems.size() == 1);
        CHECK(r.problems[0].find("cannot list") != std::string::npos);
    }
}

TEST_CASE("pstore archive keeps at most kArchiveFiles files, the newest dumps") {
    PstoreAgent a;
    for (unsigned i = 0; i < kArchiveFiles + 3; ++i) leave_dump(a, a.env.pstore.pstorefs, kOopsLog, 1732000000 + i * 10);
    SweepReport r = a.sweep(BootState::empty());
    CHECK(r.problems.empty());
    size_t files = 0;
    for (const auto& e : fs::directory_iterator(a.env.pstore.archive)) files += e.path().extension() == ".txt";
    CHECK(files == kArchiveFiles);
    CHECK_FALSE(fs::exists(a.env.pstore.archive + "/dump-1732000000-0.txt"));
    CHECK(fs::exists(a.env.pstore.archive + "/dump-" + std::to_string(1732000000 + (kArchiveFiles + 2) * 10) + "-0.txt"));
    CHECK(a.dump_vars() == 0);
    // Dropped from the archive, but remembered: not archived again from anywhere.
    CHECK(a.sweep(BootState::empty()).archived.empty());
}

TEST_CASE("wdbootctl pstore: root, efivarfs, the report") {
    PstoreAgent a;
    a.write_config(kTwoSlotConfig);
    a.boot();
    leave_dump(a, a.env.pstore.pstorefs, kSysrqLog, 1732950000);
    SECTION("not root") {
        a.env.is_root = false;
        CHECK(cmd_pstore(a.env) == Exit::not_root);
    }
    SECTION("no efivarfs") {
        fs::remove_all(a.efivars);
        CHECK(cmd_pstore(a.env) == Exit::no_efivarfs);
    }
    SECTION("text") {
        REQUIRE(cmd_pstore(a.env) == Exit::ok);
        CHECK(a.out.str().find("archived " + a.env.pstore.archive + "/dump-1732950000-0.txt\n") != std::string::npos);
        CHECK(a.out.str().find("0 left in NVRAM") != std::string::npos);
    }
    SECTION("json; a problem is exit 8") {
        a.env.json = true;
        write_text(a.dir / "file", "x");
        a.env.pstore.archive = a.dir / "file/pstore";
        CHECK(cmd_pstore(a.env) == Exit::io_error);
        auto j = nlohmann::json::parse(a.out.str());
        CHECK(j["archived"].empty());
        CHECK(j["variables_left"] == cut_parts(kSysrqLog, 1024).size());
        CHECK(j["problems"].size() == 1);
    }
}

TEST_CASE("pstore sweep files each panic dump under the boot that crashed, newest with newest") {
    PstoreAgent a;
    // Boots 5 and 6 panicked before any sweep ran (a crash loop in the initramfs); boot 3
    // panicked long ago and was archived then.
    BootState st = journal_of({{3, Event::runtime_panic}, {4, Event::blessed}, {5, Event::runtime_panic},
                               {6, Event::panic}, {7, Event::attempt}});
    write_text(a.env.pstore.archive + "/boot-3.txt", "wdboot-panic 1\nboot_id: 3\ndump: 1732000000-0\n--\nold\n");
    leave_dump(a, a.env.pstore.pstorefs, kSysrqLog, 1732950000);  // boot 5's
    leave_dump(a, a.env.pstore.pstorefs, kOopsLog, 1732950300);   // boot 6's
    leave_dump(a, a.env.pstore.pstorefs, kOopsLog, 1732940000, 0, true, "Oops");  // an oops boot 5 survived
    SweepReport r = a.sweep(st);
    CHECK(r.problems.empty());
    CHECK(r.archived.size() == 3);
    ArchivedPanic p;
    std::string error;
    REQUIRE(read_archived_panic(a.env.pstore.archive, 6, p, error));
    CHECK(p.dump == DumpKey{1732950300, 0});
    CHECK(p.reason == "Panic");
    CHECK(p.text.find("Fatal exception") != std::string::npos);
    REQUIRE(read_archived_panic(a.env.pstore.archive, 5, p, error));
    CHECK(p.dump == DumpKey{1732950000, 0});
    CHECK(p.text.find("sysrq triggered crash") != std::string::npos);
    CHECK(fs::exists(a.env.pstore.archive + "/dump-1732940000-0.txt"));
    CHECK(read_text(a.env.pstore.archive + "/boot-3.txt").find("old") != std::string::npos);  // untouched
    CHECK(a.dump_vars() == 0);

    SECTION("an archive file that is not one is an error for log, not a crash") {
        write_text(a.env.pstore.archive + "/boot-6.txt", "garbage\n");
        CHECK_FALSE(read_archived_panic(a.env.pstore.archive, 6, p, error));
        CHECK(error.find("is not a wdboot panic archive file") != std::string::npos);
        CHECK_FALSE(read_archived_panic(a.env.pstore.archive, 99, p, error));
        CHECK(error.empty());
    }
}

namespace {

// The record holding `st`, written through the core's two-copy store.
void save(Agent& a, const BootState& st) {
    EfivarfsStore store(*a.vars);
    LoadedState loaded = load_state(store);
    bool wrote = false;
    REQUIRE(save_state(store, loaded, st, &wrote) == Status::ok);
}

}  // namespace

TEST_CASE("log shows the panic under its entry, --json carries it") {
    PstoreAgent a;
    a.write_config(kTwoSlotConfig);
    a.boot();
    BootState st = a.state().state;
    st.journal_add(st.last_boot_id, 0, Event::runtime_panic, ResetCause::panic, 1, a.clock);
    st.journal_add(st.last_boot_id + 1, 0, Event::panic, ResetCause::panic, 2, a.clock + 60);
    save(a, st);
    leave_dump(a, a.env.pstore.pstorefs, kSysrqLog, 1732950000);
    REQUIRE(cmd_pstore(a.env) == Exit::ok);
    a.clear_output();

    REQUIRE(cmd_log(a.env, 0) == Exit::ok);
    const std::string text = a.out.str();
    // The newest dump went to the newest entry (boot id + 1); the older entry has none.
    const std::string newest = "    | [   31.742010] sysrq: Trigger a crash\n"
                               "    | [   31.742392] Kernel panic - not syncing: sysrq triggered crash\n";
    CHECK(text.find(newest) != std::string::npos);
    CHECK(text.find("(" + a.env.pstore.archive + "/boot-" + std::to_string(st.last_boot_id + 1) + ".txt)") !=
          std::string::npos);
    CHECK(text.find("    (no kernel log of this panic in " + a.env.pstore.archive) != std::string::npos);
    CHECK(text.find("Panic#1") == std::string::npos);

    a.clear_output();
    a.env.json = true;
    REQUIRE(cmd_log(a.env, 0) == Exit::ok);
    auto j = nlohmann::json::parse(a.out.str());
    CHECK(j[0]["event"] == "panic");
    REQUIRE(j[0]["panic"].is_object());
    CHECK(j[0]["panic"]["reason"] == "Panic");
    CHECK(j[0]["panic"]["time"] == 1732950000);
    CHECK(j[0]["panic"]["lines"].size() == kPanicExcerptLines);
    CHECK(j[0]["panic"]["lines"][1] == "[   31.742392] Kernel panic - not syncing: sysrq triggered crash");
    CHECK(j[0]["panic"]["error"].is_null());
    CHECK(j[1]["event"] == "runtime-panic");
    CHECK(j[1]["panic"].is_null());
    CHECK(j[2]["panic"].is_null());  // not a panic entry
}

TEST_CASE("mark-good sweeps first and records what is left, a pstore problem never stops the blessing") {
    PstoreAgent a;
    a.write_config(kTwoSlotConfig);
    a.watchdog.on_load["i6300esb"] = WatchdogInfo{"watchdog0", "/dev/watchdog0", "i6300ESB timer", "inactive"};
    leave_dump(a, "", kSysrqLog, 1732900000, 0, false);  // unreadable: stays, counted
    const unsigned unread = a.dump_vars();
    a.boot();
    leave_dump(a, a.env.pstore.pstorefs, kSysrqLog, 1732950000);  // readable: archived, deleted
    SECTION("counted after the cleanup, in the blessing's write") {
        a.env.json = true;
        REQUIRE(cmd_mark_good(a.env) == Exit::ok);
        auto j = nlohmann::json::parse(a.out.str());
        CHECK(j["blessed"] == true);
        CHECK(j["pstore"]["variables_left"] == unread);
        CHECK(a.state().state.pstore_records == unread);
        CHECK(a.dump_vars() == unread);
    }
    SECTION("an archive that cannot be written: warned, still blessed, nothing deleted") {
        write_text(a.dir / "file", "x");
        a.env.pstore.archive = a.dir / "file/pstore";
        REQUIRE(cmd_mark_good(a.env) == Exit::ok);
        CHECK(a.err.str().find("wdbootctl: warning: pstore: cannot create") != std::string::npos);
        CHECK(a.state().state.attempt_slot == kNoSlot);
        CHECK(a.state().state.pstore_records == a.dump_vars());
    }
}

TEST_CASE("status explains a crash loop and shows the last runtime crash") {
    PstoreAgent a;
    a.write_config(kTwoSlotConfig + std::string());
    a.boot();
    BootState st = a.state().state;
    const uint32_t id = st.last_boot_id;
    st.journal_add(id, 0, Event::runtime_panic, ResetCause::panic, 3, a.clock + 100);
    st.journal_add(id, 0, Event::crash_loop, ResetCause::panic, 3, a.clock + 100);
    save(a, st);
    write_text(a.env.pstore.archive + "/boot-" + std::to_string(id) + ".txt",
               "wdboot-panic 1\nboot_id: " + std::to_string(id) +
                   "\ndump: 1732950000-0\nreason: Panic\nsource: x\n--\n" + dump_log_text({{1, kOopsLog}}));
    a.boot();  // fallback boots now (in the fake loader: whatever the policy says)

    a.clear_output();
    REQUIRE(cmd_status(a.env) == Exit::ok);
    const std::string text = a.out.str();
    CHECK(text.find("CRASH LOOP: slot \"primary\" crashed 3 times after being blessed") != std::string::npos);
    CHECK(text.find("To boot \"primary\" again: wdbootctl set-default primary") != std::string::npos);
    CHECK(text.find("wdbootctl reset") != std::string::npos);
    CHECK(text.find("last crash after a blessing:") != std::string::npos);
    CHECK(text.find("Kernel panic - not syncing: Fatal exception") != std::string::npos);

    a.clear_output();
    a.env.json = true;
    REQUIRE(cmd_status(a.env) == Exit::ok);
    auto j = nlohmann::json::parse(a.out.str());
    REQUIRE(j["crash_loop"].is_object());
    CHECK(j["crash_loop"]["slot"] == "primary");
    CHECK(j["crash_loop"]["crashes"] == 3);
    CHECK(j["crash_loop"]["boot_id"] == id);
    CHECK(j["crash_loop"]["undo"][0] == "wdbootctl set-default primary");
    CHECK(j["last_runtime_crash"]["event"] == "runtime-panic");
    CHECK(j["last_runtime_crash"]["panic_line"] == "[  102.342005] Kernel panic - not syncing: Fatal exception");

    SECTION("set-default gives the slot back: no crash loop any more") {
        a.clear_output();
        a.env.json = false;
        REQUIRE(cmd_set_default(a.env, "primary") == Exit::ok);
        a.clear_output();
        a.env.json = true;
        REQUIRE(cmd_status(a.env) == Exit::ok);
        CHECK(nlohmann::json::parse(a.out.str())["crash_loop"].is_null());
    }
}

TEST_CASE("a panic after the blessing, end to end: the loader journals it, pstore files it, log shows it") {
    PstoreAgent a;
    a.write_config(kTwoSlotConfig);
    a.watchdog.on_load["i6300esb"] = WatchdogInfo{"watchdog0", "/dev/watchdog0", "i6300ESB timer", "inactive"};
    auto first = a.boot();
    REQUIRE(cmd_mark_good(a.env) == Exit::ok);
    REQUIRE(a.state().state.pstore_records == 0);
    // The kernel panics; the reboot shows its dump in pstorefs and efivarfs.
    leave_dump(a, a.env.pstore.pstorefs, kSysrqLog, 1732950000);
    a.clock += 3600;
    auto second = a.boot();
    const JournalEntry crash = a.state().state.journal_newest(1);  // newest: the new attempt
    REQUIRE(crash.event == Event::runtime_panic);
    CHECK(crash.boot_id == first.boot_id);

    a.clear_output();
    REQUIRE(cmd_pstore(a.env) == Exit::ok);
    CHECK(a.out.str().find("archived " + a.env.pstore.archive + "/boot-" + std::to_string(first.boot_id) + ".txt") !=
          std::string::npos);
    CHECK(a.dump_vars() == 0);
    REQUIRE(cmd_mark_good(a.env) == Exit::ok);
    CHECK(a.state().state.pstore_records == 0);

    a.clear_output();
    a.env.json = true;
    REQUIRE(cmd_log(a.env, 0) == Exit::ok);
    auto j = nlohmann::json::parse(a.out.str());
    bool shown = false;
    for (const auto& e : j) {
        if (e["event"] != "runtime-panic") continue;
        CHECK(e["boot_id"] == first.boot_id);
        CHECK(e["panic"]["lines"][1] == "[   31.742392] Kernel panic - not syncing: sysrq triggered crash");
        shown = true;
    }
    CHECK(shown);
    CHECK(second.boot_id != first.boot_id);
}
