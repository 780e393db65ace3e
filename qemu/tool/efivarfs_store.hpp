// VariableStore over Linux efivarfs, for the QEMU test tool only (the agent has its own).
// Reads strip the 4 attribute bytes; writes clear the immutable flag that efivarfs sets
// on variables it does not know, then write attributes + data in one write() call, as
// efivarfs requires.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "wdboot/state_store.hpp"

namespace wdtest {

inline constexpr const char* kEfivarsDir = "/sys/firmware/efi/efivars";
inline constexpr uint32_t kAttrNvBsRt = 0x7;

// Path of a wdboot variable in efivarfs, e.g. .../WdbootStateA-50eee850-...
void variable_path(const char* name, char* out, size_t cap);

// Reads a whole variable (data only). Status::not_found when absent.
wdboot::Status read_variable(const char* name, uint8_t* buf, size_t cap, size_t& len);
// Writes a whole variable with NV|BS|RT, creating it if needed.
wdboot::Status write_variable(const char* name, const uint8_t* data, size_t len);
// Deletes a variable (clears the immutable flag first). Absent counts as done.
wdboot::Status delete_variable(const char* name);

class EfivarfsStore final : public wdboot::VariableStore {
public:
    wdboot::Status read(wdboot::Copy copy, uint8_t* buf, size_t cap, size_t& len) override;
    wdboot::Status write(wdboot::Copy copy, const uint8_t* data, size_t len) override;
};

}  // namespace wdtest
