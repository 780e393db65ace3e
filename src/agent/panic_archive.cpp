#include "panic_archive.hpp"

#include "fd.hpp"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace wdboot::agent {
namespace fs = std::filesystem;

namespace {

constexpr char kArchiveMagic[] = "wdboot-panic 1";

struct FoundPart {
    unsigned part = 0;
    std::string path;
};

// All parts of one dump found in one place.
struct FoundDump {
    std::vector<FoundPart> parts;
};

using DumpMap = std::map<DumpKey, FoundDump>;

bool read_small_file(const std::string& path, std::string& out, std::string& error) {
    Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
    if (!fd) {
        error = "cannot read " + path + ": " + std::strerror(errno);
        return false;
    }
    out.clear();
    char buf[4096];
    for (;;) {
        ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            error = "cannot read " + path + ": " + std::strerror(errno);
            return false;
        }
        if (n == 0) return true;
        out.append(buf, static_cast<size_t>(n));
        // A pstore part is about 1 KB decompressed to a few; an archive file 6 KB.
        if (out.size() > (1u << 20)) {
            error = path + " is larger than 1 MB: not a pstore record";
            return false;
        }
    }
}

// dmesg-efi-ID files directly in `dir` (pstorefs), or anywhere up to three levels
// below it (systemd-pstore: ID-PREFIX/ in 252, ID-PREFIX/COUNT/ in later versions),
// each part under the key it carries.
void find_parts(const std::string& dir, int depth, std::vector<std::pair<DumpKey, FoundPart>>& out,
                std::vector<std::string>& problems) {
    std::error_code ec;
    fs::directory_iterator it(dir, ec);
    if (ec) {
        if (ec != std::errc::no_such_file_or_directory) problems.push_back("cannot list " + dir + ": " + ec.message());
        return;
    }
    for (; it != fs::directory_iterator(); it.increment(ec)) {
        if (ec) {
            problems.push_back("cannot list " + dir + ": " + ec.message());
            return;
        }
        const std::string name = it->path().filename().string();
        std::error_code tec;
        if (it->is_directory(tec) && !it->is_symlink(tec)) {
            if (depth > 0) find_parts(it->path().string(), depth - 1, out, problems);
            continue;
        }
        DumpKey key;
        unsigned part = 0;
        if (!it->is_regular_file(tec) || !parse_pstore_file(name, key, part)) continue;
        out.push_back({key, {part, it->path().string()}});
    }
}

// The dumps in `dir` (as find_parts), their parts grouped by dump_keys().
void find_dumps(const std::string& dir, int depth, DumpMap& out, std::vector<std::string>& problems) {
    std::vector<std::pair<DumpKey, FoundPart>> found;
    find_parts(dir, depth, found, problems);
    std::vector<std::pair<DumpKey, unsigned>> keys;
    for (const auto& [key, part] : found) keys.push_back({key, part.part});
    const std::vector<DumpKey> dumps = dump_keys(keys);
    for (size_t i = 0; i < found.size(); ++i) out[dumps[i]].parts.push_back(found[i].second);
}

// The dumps already handled, oldest first.
std::vector<std::string> read_seen(const std::string& path) {
    std::vector<std::string> seen;
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line))
        if (!line.empty()) seen.push_back(line);
    return seen;
}

// The header of an archive file; false when it is not one.
bool parse_archive(const std::string& content, ArchivedPanic& out) {
    std::istringstream in(content);
    std::string line;
    if (!std::getline(in, line) || line != kArchiveMagic) return false;
    bool have_dump = false;
    while (std::getline(in, line)) {
        if (line == "--") {
            std::ostringstream rest;
            rest << in.rdbuf();
            out.text = rest.str();
            return have_dump;
        }
        size_t colon = line.find(": ");
        if (colon == std::string::npos) return false;
        const std::string key = line.substr(0, colon), value = line.substr(colon + 2);
        if (key == "boot_id") {
            out.boot_id = static_cast<uint32_t>(std::strtoul(value.c_str(), nullptr, 10));
        } else if (key == "dump") {
            size_t dash = value.find('-');
            if (dash == std::string::npos) return false;
            out.dump.time = std::strtoull(value.substr(0, dash).c_str(), nullptr, 10);
            out.dump.count = static_cast<unsigned>(std::strtoul(value.substr(dash + 1).c_str(), nullptr, 10));
            have_dump = true;
        } else if (key == "reason") {
            out.reason = value;
        } else if (key == "source") {
            out.source = value;
        }
    }
    return false;
}

// The end of the log, at most kArchiveTextBytes, cut at a line start.
std::string tail_of(const std::string& text) {
    if (text.size() <= kArchiveTextBytes) return text;
    size_t from = text.size() - kArchiveTextBytes;
    size_t nl = text.find('\n', from);
    return nl == std::string::npos ? text.substr(from) : text.substr(nl + 1);
}

// Keeps the newest kArchiveFiles archive files (by dump time).
void trim_archive(const std::string& dir, std::vector<std::string>& problems) {
    std::vector<std::pair<DumpKey, std::string>> files;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (name.size() < 5 || name.compare(name.size() - 4, 4, ".txt") != 0) continue;
        std::string content, err;
        ArchivedPanic a;
        DumpKey k{};
        if (read_small_file(it->path().string(), content, err) && parse_archive(content, a)) k = a.dump;
        files.emplace_back(k, it->path().string());
    }
    if (files.size() <= kArchiveFiles) return;
    std::sort(files.begin(), files.end());
    for (size_t i = 0; i + kArchiveFiles < files.size(); ++i) {
        if (unlink(files[i].second.c_str()) != 0)
            problems.push_back("cannot delete " + files[i].second + ": " + std::strerror(errno));
    }
}

void trim_raw(const std::string& dir) {
    std::vector<std::pair<fs::file_time_type, fs::path>> files;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec))
        files.emplace_back(it->last_write_time(ec), it->path());
    if (files.size() <= kRawFiles) return;
    std::sort(files.begin(), files.end());
    for (size_t i = 0; i + kRawFiles < files.size(); ++i) fs::remove(files[i].second, ec);
}

struct Variable {
    std::string file_name;  // NAME-GUID
    DumpKey key;
    unsigned part = 0;
};

bool list_dump_variables(const std::string& dir, std::vector<Variable>& out, std::string& error) {
    std::error_code ec;
    fs::directory_iterator it(dir, ec);
    if (ec) {
        error = "cannot list " + dir + ": " + ec.message();
        return false;
    }
    for (; it != fs::directory_iterator(); it.increment(ec)) {
        if (ec) {
            error = "cannot list " + dir + ": " + ec.message();
            return false;
        }
        Variable v;
        v.file_name = it->path().filename().string();
        if (!parse_dump_variable(v.file_name, v.key, v.part)) continue;
        // efivarfs shows a variable that is not set as an empty file.
        std::error_code sec;
        if (it->file_size(sec) == 0 && !sec) continue;
        out.push_back(v);
    }
    // One dump's variables may carry different times (dump_keys()).
    std::vector<std::pair<DumpKey, unsigned>> keys;
    for (const Variable& v : out) keys.push_back({v.key, v.part});
    const std::vector<DumpKey> dumps = dump_keys(keys);
    for (size_t i = 0; i < out.size(); ++i) out[i].key = dumps[i];
    return true;
}

std::string variable_name(const std::string& file_name) {
    return file_name.substr(0, file_name.size() - std::strlen(kPstoreVendorGuidText) - 1);
}

}  // namespace

bool is_panic_event(Event e) { return e == Event::panic || e == Event::runtime_panic; }

// What the loader counts (efi/efi_nvram.cpp): every dump-type* variable of the pstore
// GUID, whatever its type, so that the two counts agree.
bool count_pstore_variables(const std::string& efivarfs_dir, unsigned& count, std::string& error) {
    std::error_code ec;
    fs::directory_iterator it(efivarfs_dir, ec);
    const std::string suffix = std::string("-") + kPstoreVendorGuidText;
    count = 0;
    for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (name.size() <= suffix.size() || name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
            continue;
        if (!is_pstore_record_name(name.substr(0, name.size() - suffix.size()).c_str())) continue;
        // efivarfs shows a variable that is not set as an empty file.
        std::error_code sec;
        if (it->file_size(sec) == 0 && !sec) continue;
        ++count;
    }
    if (ec) {
        error = "cannot list " + efivarfs_dir + ": " + ec.message();
        return false;
    }
    return true;
}

bool read_archived_panic(const std::string& archive_dir, uint32_t boot_id, ArchivedPanic& out, std::string& error) {
    error.clear();
    const std::string path = archive_dir + "/boot-" + std::to_string(boot_id) + ".txt";
    struct stat st {};
    if (stat(path.c_str(), &st) != 0 && errno == ENOENT) return false;
    std::string content;
    if (!read_small_file(path, content, error)) return false;
    ArchivedPanic a;
    if (!parse_archive(content, a)) {
        error = path + " is not a wdboot panic archive file";
        return false;
    }
    a.path = path;
    out = a;
    return true;
}

SweepReport sweep_pstore(const PstorePaths& paths, Efivarfs& vars, const BootState& st, FileSync& sync) {
    SweepReport r;
    // 1. What the kernel left, and what systemd-pstore archived.
    DumpMap in_pstorefs, in_systemd;
    find_dumps(paths.pstorefs, 0, in_pstorefs, r.problems);
    find_dumps(paths.systemd_archive, 3, in_systemd, r.problems);

    std::error_code ec;
    const std::string seen_path = paths.archive + "/seen";
    std::vector<std::string> seen_order = read_seen(seen_path);
    std::set<std::string> seen(seen_order.begin(), seen_order.end());

    // 2. Read the new dumps (pstorefs wins over the systemd copy of the same dump).
    struct NewDump {
        DumpKey key;
        std::string reason, text, source;
    };
    std::vector<NewDump> fresh;
    std::set<DumpKey> unreadable;
    auto take = [&](const DumpMap& m, const std::string& where) {
        for (const auto& [key, dump] : m) {
            if (seen.count(to_string(key)) || unreadable.count(key)) continue;
            bool dup = false;
            for (const auto& f : fresh) dup = dup || f.key == key;
            if (dup) continue;
            std::vector<DumpPart> parts;
            std::string reason;
            bool ok = true;
            for (const auto& p : dump.parts) {
                std::string text, err;
                if (!read_small_file(p.path, text, err)) {
                    r.problems.push_back(err);
                    ok = false;
                    break;
                }
                if (p.part == 1 || reason.empty()) {
                    std::string rs = dump_reason(text);
                    if (!rs.empty() && (p.part == 1 || reason.empty())) reason = rs;
                }
                parts.push_back({p.part, text});
            }
            if (!ok) {
                unreadable.insert(key);
                continue;
            }
            const std::string source = where + " (" + std::to_string(parts.size()) +
                                       (parts.size() == 1 ? " part)" : " parts)");
            fresh.push_back({key, reason, dump_log_text(parts), source});
        }
    };
    take(in_pstorefs, paths.pstorefs);
    take(in_systemd, paths.systemd_archive);

    // 3. Pair the panic dumps with the panic journal entries that have no archive yet.
    std::vector<uint32_t> claimants;  // newest first
    for (size_t i = 0; i < st.journal_count; ++i) {
        const JournalEntry& e = st.journal_newest(i);
        if (!is_panic_event(e.event)) continue;
        if (std::find(claimants.begin(), claimants.end(), e.boot_id) != claimants.end()) continue;
        if (fs::exists(paths.archive + "/boot-" + std::to_string(e.boot_id) + ".txt", ec)) continue;
        claimants.push_back(e.boot_id);
    }
    std::sort(fresh.begin(), fresh.end(), [](const NewDump& a, const NewDump& b) { return a.key > b.key; });
    size_t next_claimant = 0;
    // The archive directory is made only when there is something to keep (mark-good
    // runs this on every boot, also from an initramfs with a read-only root).
    bool have_archive = fs::is_directory(paths.archive, ec);
    if (!have_archive && (!fresh.empty() || !unreadable.empty())) {
        fs::create_directories(paths.archive, ec);
        have_archive = !ec && fs::is_directory(paths.archive, ec);
        if (!have_archive) r.problems.push_back("cannot create " + paths.archive + ": " + ec.message());
    }
    if (have_archive) {
        for (const NewDump& d : fresh) {
            uint32_t boot = 0;
            if (d.reason == "Panic" && next_claimant < claimants.size()) boot = claimants[next_claimant++];
            const std::string path = paths.archive + "/" +
                                     (boot != 0 ? "boot-" + std::to_string(boot) : "dump-" + to_string(d.key)) + ".txt";
            std::string content = std::string(kArchiveMagic) + "\n";
            if (boot != 0) content += "boot_id: " + std::to_string(boot) + "\n";
            content += "dump: " + to_string(d.key) + "\n";
            content += "reason: " + (d.reason.empty() ? std::string("unknown") : d.reason) + "\n";
            content += "source: " + d.source + "\n--\n" + tail_of(d.text);
            std::string err;
            if (!write_file_atomic(sync, path, content, err)) {
                r.problems.push_back(err);
                continue;
            }
            r.archived.push_back(path);
            seen.insert(to_string(d.key));
            seen_order.push_back(to_string(d.key));
        }
        if (!r.archived.empty()) {
            if (seen_order.size() > kSeenEntries)
                seen_order.erase(seen_order.begin(), seen_order.end() - static_cast<std::ptrdiff_t>(kSeenEntries));
            std::string text;
            for (const auto& s : seen_order) text += s + "\n";
            std::string err;
            if (!write_file_atomic(sync, seen_path, text, err)) r.problems.push_back(err);
            trim_archive(paths.archive, r.problems);
        }
    }

    // 4. Delete from pstorefs what is archived; the kernel erases the variables.
    for (const auto& [key, dump] : in_pstorefs) {
        if (!seen.count(to_string(key))) continue;
        for (const auto& p : dump.parts) {
            if (unlink(p.path.c_str()) == 0) ++r.pstorefs_removed;
            else if (errno != ENOENT) r.problems.push_back("cannot delete " + p.path + ": " + std::strerror(errno));
        }
    }

    // 5. Dump variables still in efivarfs.
    std::vector<Variable> left;
    std::string err;
    if (!list_dump_variables(vars.root(), left, err)) {
        r.problems.push_back(err);
        return r;
    }
    std::set<DumpKey> unread;
    std::vector<Variable> keep;
    for (const Variable& v : left) {
        const bool archived = seen.count(to_string(v.key)) || in_systemd.count(v.key);
        if (!archived) {
            keep.push_back(v);
            // Still in pstorefs: readable once what failed is fixed; not ours to drop.
            if (!in_pstorefs.count(v.key)) unread.insert(v.key);
            continue;
        }
        Status s = vars.remove(variable_name(v.file_name), kPstoreVendorGuidText);
        if (s == Status::ok || s == Status::not_found) {
            if (s == Status::ok) ++r.variables_removed;
        } else {
            r.problems.push_back(vars.last_error());
            keep.push_back(v);
        }
    }
    // 6. Unreadable dumps beyond kMaxUnreadDumps: save the raw bytes, then delete.
    const std::string raw = paths.archive + "/raw";
    if (unread.size() > kMaxUnreadDumps && !fs::create_directories(raw, ec) && ec) {
        r.problems.push_back("cannot create " + raw + ": " + ec.message() + "; unread dumps are not deleted");
    } else if (unread.size() > kMaxUnreadDumps) {
        std::vector<DumpKey> oldest(unread.begin(), unread.end());  // ascending
        oldest.resize(oldest.size() - kMaxUnreadDumps);
        std::vector<Variable> still;
        for (const Variable& v : keep) {
            if (std::find(oldest.begin(), oldest.end(), v.key) == oldest.end()) {
                still.push_back(v);
                continue;
            }
            std::string copy_err;
            if (!copy_file_atomic(sync, vars.root() + "/" + v.file_name, raw + "/" + v.file_name, copy_err)) {
                r.problems.push_back("not deleted, could not be saved: " + copy_err);
                still.push_back(v);
                continue;
            }
            Status s = vars.remove(variable_name(v.file_name), kPstoreVendorGuidText);
            if (s == Status::ok) {
                ++r.variables_removed;
                ++r.variables_saved_raw;
            } else if (s != Status::not_found) {
                r.problems.push_back(vars.last_error());
                still.push_back(v);
            }
        }
        keep.swap(still);
        trim_raw(raw);
    }
    std::string count_err;
    r.counted = count_pstore_variables(vars.root(), r.variables_left, count_err);
    if (!r.counted) r.problems.push_back(count_err);
    return r;
}

}  // namespace wdboot::agent
