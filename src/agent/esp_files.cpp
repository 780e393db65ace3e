#include "esp_files.hpp"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "atomic_file.hpp"

namespace fs = std::filesystem;

namespace wdboot::agent {
namespace {

FileSync& file_sync(AgentEnv& env) { return env.file_sync != nullptr ? *env.file_sync : system_file_sync(); }

bool copy_one(AgentEnv& env, const std::string& from, const std::string& to, bool dry_run, std::string& err) {
    note(env, (dry_run ? "would copy " : "copy ") + from + " -> " + to);
    if (dry_run) return true;
    std::error_code ec;
    fs::create_directories(fs::path(to).parent_path(), ec);
    if (ec) {
        err = "cannot create " + fs::path(to).parent_path().string() + ": " + ec.message();
        return false;
    }
    return copy_file_atomic(file_sync(env), from, to, err);
}

}  // namespace

std::string esp_kernel_dir(const std::string& name) { return std::string(kEspKernels) + "\\" + name; }

bool read_file(const std::string& path, std::string& out) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return false;
    std::stringstream ss;
    ss << in.rdbuf();
    out = ss.str();
    return true;
}

PeFileRead read_pe_file(const std::string& path, std::string& bytes, PeImageInfo& info, PeError& error) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec) || !read_file(path, bytes)) return PeFileRead::unreadable;
    error = inspect_pe_image(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), PeLayout::file, info);
    return error == PeError::ok ? PeFileRead::ok : PeFileRead::not_pe;
}

bool write_to_esp(AgentEnv& env, const std::string& path, const std::string& text, std::string& err) {
    return write_file_atomic(file_sync(env), path, text, err);
}

bool sources_readable(const std::vector<EspCopy>& copies, std::string& err) {
    for (const auto& c : copies) {
        struct stat st {};
        if (stat(c.from.c_str(), &st) != 0 || access(c.from.c_str(), R_OK) != 0) {
            err = "cannot read " + c.from + ": " + strerror(errno);
            return false;
        }
        if (!S_ISREG(st.st_mode)) {
            err = "cannot copy " + c.from + ": not a regular file";
            return false;
        }
    }
    return true;
}

void remove_created(const std::vector<std::string>& created) {
    std::error_code ec;
    for (const auto& f : created) fs::remove(f, ec);
}

bool copy_to_esp(AgentEnv& env, const std::string& esp, const std::vector<EspCopy>& copies, bool dry_run,
                 std::vector<std::string>& created, std::string& err) {
    created.clear();
    for (const auto& c : copies) {
        const std::string to = esp_file(esp, c.to);
        const bool existed = access(to.c_str(), F_OK) == 0;
        if (!copy_one(env, c.from, to, dry_run, err)) {
            remove_created(created);
            created.clear();
            return false;
        }
        if (!existed && !dry_run) created.push_back(to);
    }
    return true;
}

std::string esp_key(const std::string& esp_path) {
    std::string k = esp_path;
    for (char& c : k) {
        if (c == '/') c = '\\';
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return k;
}

std::map<std::string, std::string> referenced_files(const Config& cfg) {
    std::map<std::string, std::string> refs;
    for (uint8_t i = 0; i < cfg.slot_count; ++i) {
        const SlotConfig& s = cfg.slots[i];
        if (s.kind == ImageKind::linux_efi || s.kind == ImageKind::efi_app) refs.emplace(esp_key(s.path), s.name);
        for (uint8_t j = 0; j < s.initrd_count; ++j) refs.emplace(esp_key(s.initrds[j]), s.name);
    }
    return refs;
}

void remove_unreferenced_slot_files(AgentEnv& env, const std::string& esp, const std::string& name, const Config& rest) {
    const std::string esp_dir = esp_kernel_dir(name);
    const fs::path kernels = esp_file(esp, kEspKernels);
    const fs::path folder = esp_file(esp, esp_dir);
    std::error_code ec;
    fs::file_status st = fs::symlink_status(folder, ec);
    if (ec || !fs::exists(st)) return;
    if (!fs::is_directory(st)) {
        note(env, "left " + folder.string() + " alone: not a folder");
        return;
    }
    // The folder must really be kernels/NAME, not reached through a link further up.
    std::error_code ec1, ec2;
    const fs::path real = fs::canonical(folder, ec1);
    const fs::path real_kernels = fs::canonical(kernels, ec2);
    if (ec1 || ec2 || real != real_kernels / name) {
        note(env, "left " + folder.string() + " alone: it is not inside " + kernels.string());
        return;
    }
    auto keep = referenced_files(rest);
    for (const char* p : {kEspLoader, kEspInstallState}) keep.emplace(esp_key(p), "");
    keep.emplace(esp_key(env.config.config_path), "");

    std::vector<fs::path> dirs{folder};
    for (auto it = fs::recursive_directory_iterator(folder, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
        const fs::path p = it->path();
        fs::file_status s = it->symlink_status(ec);
        if (ec) break;
        if (fs::is_directory(s)) {
            dirs.push_back(p);
            continue;
        }
        if (!fs::is_regular_file(s)) continue;  // links and the like: left alone
        std::string rel = fs::relative(p, folder, ec).string();
        const std::string esp_path = esp_dir + "\\" + rel;
        auto ref = keep.find(esp_key(esp_path));
        if (ref != keep.end()) {
            note(env, "kept " + p.string() + (ref->second.empty() ? "" : " (used by slot \"" + ref->second + "\")"));
            continue;
        }
        std::error_code rm;
        if (fs::remove(p, rm)) note(env, "deleted " + p.string());
        else note(env, "could not delete " + p.string() + ": " + rm.message());
    }
    // Deepest first; a folder that still holds something stays.
    std::sort(dirs.begin(), dirs.end(), [](const fs::path& a, const fs::path& b) { return a.string().size() > b.string().size(); });
    for (const auto& d : dirs) {
        std::error_code rm;
        if (fs::is_empty(d, rm) && !rm) fs::remove(d, rm);
    }
}

}  // namespace wdboot::agent
