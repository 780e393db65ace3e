#include "wdboot/secure_boot.hpp"

namespace wdboot {

const char* to_string(LoadFailure f) {
    switch (f) {
        case LoadFailure::unknown: return "unknown";
        case LoadFailure::not_found: return "not found";
        case LoadFailure::security_violation: return "security violation";
        // What edk2's image verification returns when db does not allow an image
        // (DxeImageVerificationLib, DENY_EXECUTE_ON_SECURITY_VIOLATION): the usual
        // Secure Boot refusal, named as one.
        case LoadFailure::access_denied: return "security violation: access denied";
        case LoadFailure::secure_boot_policy: return "secure-boot-policy strict";
        case LoadFailure::invalid_image: return "invalid image";
        case LoadFailure::initrd: return "initrd";
        case LoadFailure::command_line: return "command line";
        case LoadFailure::out_of_resources: return "out of resources";
    }
    return "unknown";
}

UnverifiedInputs unverified_inputs(bool secure_boot, SecureBootPolicy policy, ImageKind declared, PeImageType type,
                                   bool has_options, bool has_initrds) {
    UnverifiedInputs r{};
    if (!secure_boot) return r;
    if (policy == SecureBootPolicy::permissive) {
        r.unverified_passed = has_options || has_initrds;
        return r;
    }
    // A plain kernel takes its command line and initrds from its loader: in strict mode
    // those would be the unsigned config's, so it does not start at all rather than boot
    // without them (no root file system, a hang the watchdog would only count later).
    // Under `bootentry` its text comes from the Boot#### variable and nothing is needed
    // from the config.
    const bool kernel_needs_config = type == PeImageType::linux_kernel && declared != ImageKind::boot_entry;
    if (kernel_needs_config && (has_options || has_initrds)) {
        r.refused = true;
        return r;
    }
    r.options_dropped = has_options;
    r.initrds_dropped = has_initrds;
    return r;
}

}  // namespace wdboot
