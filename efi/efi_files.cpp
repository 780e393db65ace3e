#include "efi_files.hpp"

#include "efi_guid.hpp"
#include "efi_text.hpp"
#include "wdboot/config.hpp"

namespace wdboot::efi {

bool PoolBuffer::allocate(size_t size) {
    reset();
    void* p = nullptr;
    // A zero-byte allocation still yields a valid pointer so callers need no special case.
    if (EFI_ERROR(BS->AllocatePool(EfiLoaderData, size != 0 ? size : 1, &p))) return false;
    data_ = static_cast<uint8_t*>(p);
    size_ = size;
    return true;
}

void PoolBuffer::reset() {
    if (data_ != nullptr) BS->FreePool(data_);
    data_ = nullptr;
    size_ = 0;
}

uint8_t* PoolBuffer::release() {
    uint8_t* p = data_;
    data_ = nullptr;
    size_ = 0;
    return p;
}

EspVolume::~EspVolume() {
    if (root_ != nullptr) root_->Close(root_);
}

EFI_STATUS EspVolume::open(EFI_HANDLE device) {
    EFI_SIMPLE_FILE_SYSTEM_PROTOCOL* fs = nullptr;
    EFI_STATUS s = BS->HandleProtocol(device, guid_arg(kSimpleFileSystemGuid), reinterpret_cast<void**>(&fs));
    if (EFI_ERROR(s)) return s;
    return fs->OpenVolume(fs, &root_);
}

EFI_STATUS EspVolume::open_file(const char* path, EFI_FILE_HANDLE& file) {
    if (root_ == nullptr) return EFI_NOT_READY;
    CHAR16 wpath[kPathMax];
    if (!ascii_to_ucs2(path, wpath, kPathMax, true)) return EFI_INVALID_PARAMETER;
    return root_->Open(root_, &file, wpath, EFI_FILE_MODE_READ, 0);
}

namespace {

// EFI_FILE_INFO of an open file; its size depends on the file name length, so ask.
EFI_STATUS query_size(EFI_FILE_HANDLE file, uint64_t& size) {
    UINTN len = 0;
    EFI_STATUS s = file->GetInfo(file, guid_arg(kFileInfoGuid), &len, nullptr);
    if (s != EFI_BUFFER_TOO_SMALL) return EFI_ERROR(s) ? s : EFI_DEVICE_ERROR;
    PoolBuffer info;
    if (!info.allocate(len)) return EFI_OUT_OF_RESOURCES;
    s = file->GetInfo(file, guid_arg(kFileInfoGuid), &len, info.data());
    if (EFI_ERROR(s)) return s;
    const auto* fi = reinterpret_cast<const EFI_FILE_INFO*>(info.data());
    if (fi->Attribute & EFI_FILE_DIRECTORY) return EFI_NOT_FOUND;
    size = fi->FileSize;
    return EFI_SUCCESS;
}

EFI_STATUS read_into(EFI_FILE_HANDLE file, uint8_t* buf, uint64_t size) {
    uint64_t done = 0;
    while (done < size) {
        UINTN chunk = static_cast<UINTN>(size - done);
        EFI_STATUS s = file->Read(file, &chunk, buf + done);
        if (EFI_ERROR(s)) return s;
        if (chunk == 0) return EFI_BAD_BUFFER_SIZE;  // file shorter than its info said
        done += chunk;
    }
    return EFI_SUCCESS;
}

class FileCloser {
public:
    explicit FileCloser(EFI_FILE_HANDLE f) : f_(f) {}
    FileCloser(const FileCloser&) = delete;
    FileCloser& operator=(const FileCloser&) = delete;
    ~FileCloser() { f_->Close(f_); }

private:
    EFI_FILE_HANDLE f_;
};

}  // namespace

EFI_STATUS EspVolume::open_sized(const char* path, EFI_FILE_HANDLE& file, uint64_t& size) {
    EFI_STATUS s = open_file(path, file);
    if (EFI_ERROR(s)) return s;
    s = query_size(file, size);
    if (EFI_ERROR(s)) file->Close(file);
    return s;
}

EFI_STATUS EspVolume::file_size(const char* path, uint64_t& size) {
    EFI_FILE_HANDLE file = nullptr;
    EFI_STATUS s = open_sized(path, file, size);
    if (!EFI_ERROR(s)) file->Close(file);
    return s;
}

EFI_STATUS EspVolume::read_exact(const char* path, uint8_t* buf, uint64_t size) {
    EFI_FILE_HANDLE file = nullptr;
    uint64_t actual = 0;
    EFI_STATUS s = open_sized(path, file, actual);
    if (EFI_ERROR(s)) return s;
    FileCloser closer(file);
    if (actual != size) return EFI_BAD_BUFFER_SIZE;
    return read_into(file, buf, size);
}

EFI_STATUS EspVolume::read_all(const char* path, PoolBuffer& out, size_t& len, uint64_t max_size,
                               size_t pad) {
    EFI_FILE_HANDLE file = nullptr;
    uint64_t size = 0;
    EFI_STATUS s = open_sized(path, file, size);
    if (EFI_ERROR(s)) return s;
    FileCloser closer(file);
    if (size > max_size) return EFI_BAD_BUFFER_SIZE;
    if (!out.allocate(static_cast<size_t>(size) + pad)) return EFI_OUT_OF_RESOURCES;
    s = read_into(file, out.data(), size);
    if (EFI_ERROR(s)) return s;
    for (size_t i = 0; i < pad; ++i) out.data()[size + i] = 0;
    len = static_cast<size_t>(size);
    return EFI_SUCCESS;
}

}  // namespace wdboot::efi
