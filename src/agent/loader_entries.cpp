#include "loader_entries.hpp"

#include <vector>

#include "wdboot/loader_entries.hpp"

namespace wdboot::agent {

const char* to_string(EntryDefaultSync s) {
    switch (s) {
        case EntryDefaultSync::absent: return "absent";
        case EntryDefaultSync::already: return "already";
        case EntryDefaultSync::rewritten: return "rewritten";
        case EntryDefaultSync::failed: return "failed";
    }
    return "?";
}

EntryDefaultSync sync_loader_entry_default(Efivarfs& vars, const std::string& slot, std::string& message) {
    message.clear();
    uint32_t attributes = 0;
    std::vector<uint8_t> data;
    Status s = vars.read(kLoaderEntryDefault, attributes, data, kLoaderVendorGuidText);
    if (s == Status::not_found) return EntryDefaultSync::absent;
    if (s != Status::ok) {
        message = std::string("cannot read ") + kLoaderEntryDefault + ": " + vars.last_error();
        return EntryDefaultSync::failed;
    }
    std::vector<uint8_t> wanted;
    for (char c : slot) {
        wanted.push_back(static_cast<uint8_t>(c));
        wanted.push_back(0);
    }
    // Both spellings systemd accepts name the slot: with and without the final NUL.
    std::vector<uint8_t> without_nul = wanted;
    wanted.push_back(0);
    wanted.push_back(0);
    if (data == wanted || data == without_nul) return EntryDefaultSync::already;
    // Its own attributes (bootctl's NV|BS|RT): the firmware refuses others.
    s = vars.write(kLoaderEntryDefault, attributes, wanted.data(), wanted.size(), kLoaderVendorGuidText);
    if (s != Status::ok) {
        message = std::string("cannot rewrite ") + kLoaderEntryDefault + " to \"" + slot + "\": " + vars.last_error() +
                  " (the loader would make its old value the default again; remove it with `bootctl set-default \"\"`)";
        return EntryDefaultSync::failed;
    }
    return EntryDefaultSync::rewritten;
}

}  // namespace wdboot::agent
