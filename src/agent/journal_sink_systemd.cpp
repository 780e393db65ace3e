// The journal sink of wdbootctl: sd_journal_sendv(3). Linked only into wdbootctl
// (journal_sink.hpp).
#include <sys/uio.h>
#include <systemd/sd-journal.h>

#include <cstring>

#include "journal_sink.hpp"

namespace wdboot::agent {

bool send_journal_fields(const std::vector<std::string>& fields, std::string& why) {
    std::vector<iovec> iov;
    iov.reserve(fields.size());
    for (const auto& f : fields) iov.push_back({const_cast<char*>(f.data()), f.size()});
    const int r = sd_journal_sendv(iov.data(), static_cast<int>(iov.size()));
    if (r < 0) {
        why = std::string("sd_journal_sendv: ") + std::strerror(-r);
        return false;
    }
    return true;
}

const char* journal_sink_name() { return "systemd-journal"; }

}  // namespace wdboot::agent
