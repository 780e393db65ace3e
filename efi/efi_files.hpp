// Reading whole files from the ESP we were loaded from (config, initrds), through
// EFI_SIMPLE_FILE_SYSTEM_PROTOCOL. Paths are ASCII, '/' or '\' separated.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "efi_api.hpp"

namespace wdboot::efi {

// Pool memory owned by one holder; freed when it goes out of scope.
class PoolBuffer {
public:
    PoolBuffer() = default;
    PoolBuffer(const PoolBuffer&) = delete;
    PoolBuffer& operator=(const PoolBuffer&) = delete;
    ~PoolBuffer() { reset(); }

    // Allocates `size` bytes (EfiLoaderData), freeing what was held. False if refused.
    bool allocate(size_t size);
    void reset();
    uint8_t* data() const { return data_; }
    size_t size() const { return size_; }
    // Gives up ownership (the memory then belongs to the caller).
    uint8_t* release();

private:
    uint8_t* data_ = nullptr;
    size_t size_ = 0;
};

class EspVolume {
public:
    EspVolume() = default;
    EspVolume(const EspVolume&) = delete;
    EspVolume& operator=(const EspVolume&) = delete;
    ~EspVolume();

    // Opens the root directory of the file system on `device` (the ESP handle of our
    // LoadedImage). Must succeed before the other calls.
    EFI_STATUS open(EFI_HANDLE device);

    // Size in bytes of a regular file.
    EFI_STATUS file_size(const char* path, uint64_t& size);
    // Reads exactly `size` bytes of the file into buf (EFI_BAD_BUFFER_SIZE if the
    // file's size differs).
    EFI_STATUS read_exact(const char* path, uint8_t* buf, uint64_t size);
    // Reads a whole file of at most max_size bytes into out, plus `pad` zero bytes
    // (callers that parse text use pad = 1 for a terminator).
    EFI_STATUS read_all(const char* path, PoolBuffer& out, size_t& len, uint64_t max_size, size_t pad);

private:
    EFI_STATUS open_file(const char* path, EFI_FILE_HANDLE& file);
    // open_file and the file's size; on success the caller closes `file`.
    EFI_STATUS open_sized(const char* path, EFI_FILE_HANDLE& file, uint64_t& size);
    EFI_FILE_HANDLE root_ = nullptr;
};

}  // namespace wdboot::efi
