#include "wdboot/status.hpp"

namespace wdboot {

const char* to_string(Status s) {
    switch (s) {
        case Status::ok: return "ok";
        case Status::not_found: return "not found";
        case Status::bad_size: return "wrong size";
        case Status::bad_magic: return "not a wdboot record";
        case Status::bad_crc: return "checksum mismatch";
        case Status::bad_field: return "field out of range";
        case Status::unsupported_version: return "record from a newer wdboot";
        case Status::invalid_argument: return "invalid argument";
        case Status::no_space: return "no space left";
        case Status::io_error: return "I/O error";
        case Status::read_only: return "read-only";
        case Status::load_failed: return "image could not be loaded";
        case Status::start_failed: return "image failed to start";
        case Status::unsupported: return "unsupported";
        case Status::device_error: return "device error";
        case Status::locked: return "device locked";
    }
    return "unknown status";
}

}  // namespace wdboot
