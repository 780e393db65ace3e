// Status codes shared by the portable core, the EFI loader and the agent.
// Every fallible core function returns one of these; none throws.
#pragma once
#include <stdint.h>

namespace wdboot {

enum class [[nodiscard]] Status : uint8_t {
    ok = 0,
    not_found,            // variable, file, slot or device absent
    bad_size,             // record or buffer of the wrong length
    bad_magic,            // not a wdboot record
    bad_crc,              // record damaged
    bad_field,            // record field out of range or inconsistent
    unsupported_version,  // record from a newer major version: never overwritten
    invalid_argument,
    no_space,             // a fixed-size table is full
    io_error,             // the platform refused a read or write
    read_only,            // storage may not be written (newer record, read-only efivarfs)
    load_failed,          // image could not be loaded (missing, bad, refused)
    start_failed,         // image returned from StartImage with an error
    unsupported,          // device or feature not handled
    device_error,         // hardware did not behave as programmed
    locked,               // device configuration locked (watchdog lock bit): left untouched
};

// Readable name of a status, for logs and messages. Never null.
const char* to_string(Status s);

}  // namespace wdboot
