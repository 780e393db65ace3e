// VariableStore over UEFI runtime variables: WdbootStateA/B under the wdboot vendor
// GUID, NV|BS|RT. Used by efi_main for run_boot(); the two-copy rule itself lives in
// the core (state_store.cpp).
#pragma once
#include "efi_api.hpp"
#include "efi_guid.hpp"
#include "wdboot/state_store.hpp"

namespace wdboot::efi {

inline constexpr EFI_GUID kWdbootGuid = guid_from_text(kVendorGuidText);

class EfiVariableStore final : public VariableStore {
public:
    Status read(Copy copy, uint8_t* buf, size_t cap, size_t& len) override;
    Status write(Copy copy, const uint8_t* data, size_t len) override;
};

// Writes a variable under our GUID; used for WdbootCurrent too. Logs nothing.
EFI_STATUS set_variable(const char* name, const EFI_GUID& guid, UINT32 attributes,
                        const void* data, size_t len);

}  // namespace wdboot::efi
