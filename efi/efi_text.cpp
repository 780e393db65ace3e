#include "efi_text.hpp"

#include "wdboot/text.hpp"

namespace wdboot::efi {

bool ascii_to_ucs2(const char* in, CHAR16* out, size_t cap, bool backslashes) {
    if (cap == 0) return false;
    size_t i = 0;
    for (; in[i] != '\0'; ++i) {
        if (i + 1 >= cap) {
            out[i] = 0;
            return false;
        }
        char c = in[i];
        if (backslashes && c == '/') c = '\\';
        out[i] = static_cast<CHAR16>(static_cast<unsigned char>(c));
    }
    out[i] = 0;
    return true;
}

bool ucs2_to_ascii(const CHAR16* in, size_t n, char* out, size_t cap) {
    if (cap == 0) return false;
    size_t i = 0;
    for (; i < n && in[i] != 0; ++i) {
        if (i + 1 >= cap) {
            out[i] = '\0';
            return false;
        }
        out[i] = in[i] < 0x80 ? static_cast<char>(in[i]) : '?';
    }
    out[i] = '\0';
    return true;
}

void console_line(const char* line) {
    if (ST == nullptr || ST->ConOut == nullptr) return;
    // Chunked so a long line needs no big stack buffer.
    CHAR16 chunk[129];
    size_t k = 0;
    for (const char* p = line; *p != '\0'; ++p) {
        chunk[k++] = static_cast<CHAR16>(static_cast<unsigned char>(*p));
        if (k == 128) {
            chunk[k] = 0;
            ST->ConOut->OutputString(ST->ConOut, chunk);
            k = 0;
        }
    }
    chunk[k++] = '\r';
    chunk[k++] = '\n';
    chunk[k] = 0;
    ST->ConOut->OutputString(ST->ConOut, chunk);
}

void console_logf(const char* fmt, ...) {
    TextBuffer<kConsoleLineMax> line;
    line.append("wdboot: ");
    va_list args;
    va_start(args, fmt);
    line.vappendf(fmt, args);
    va_end(args);
    console_line(line.c_str());
}

const char* status_name(EFI_STATUS s) {
    switch (s) {
        case EFI_SUCCESS: return "EFI_SUCCESS";
        case EFI_LOAD_ERROR: return "EFI_LOAD_ERROR";
        case EFI_INVALID_PARAMETER: return "EFI_INVALID_PARAMETER";
        case EFI_UNSUPPORTED: return "EFI_UNSUPPORTED";
        case EFI_BAD_BUFFER_SIZE: return "EFI_BAD_BUFFER_SIZE";
        case EFI_BUFFER_TOO_SMALL: return "EFI_BUFFER_TOO_SMALL";
        case EFI_NOT_READY: return "EFI_NOT_READY";
        case EFI_DEVICE_ERROR: return "EFI_DEVICE_ERROR";
        case EFI_WRITE_PROTECTED: return "EFI_WRITE_PROTECTED";
        case EFI_OUT_OF_RESOURCES: return "EFI_OUT_OF_RESOURCES";
        case EFI_VOLUME_CORRUPTED: return "EFI_VOLUME_CORRUPTED";
        case EFI_NOT_FOUND: return "EFI_NOT_FOUND";
        case EFI_ACCESS_DENIED: return "EFI_ACCESS_DENIED";
        case EFI_ABORTED: return "EFI_ABORTED";
        case EFI_SECURITY_VIOLATION: return "EFI_SECURITY_VIOLATION";
        case EFI_ALREADY_STARTED: return "EFI_ALREADY_STARTED";
        case EFI_INCOMPATIBLE_VERSION: return "EFI_INCOMPATIBLE_VERSION";
        default: return EFI_ERROR(s) ? "EFI error" : "EFI warning";
    }
}

}  // namespace wdboot::efi
