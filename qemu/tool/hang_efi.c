/* wdtest-hang.efi: the QEMU matrix's "EFI image that never returns". wdboot starts it
 * in place of a kernel (slot `linux \wdtest\hang.efi`); it prints a marker on the
 * console and then spins before ExitBootServices, with the firmware still in charge,
 * so only the hardware watchdog wdboot armed can get the machine back. It also turns
 * the UEFI watchdog off (SetWatchdogTimer(0)), as a hung image of a real machine
 * might have, so that timer cannot be the one that rescues it. */
#include <efi.h>
#include <efilib.h>

EFI_STATUS EFIAPI efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE* system_table) {
    InitializeLib(image, system_table);
    uefi_call_wrapper(BS->SetWatchdogTimer, 4, 0, 0, 0, NULL);
    Print(L"WDTEST: efi image hanging before ExitBootServices\r\n");
    for (;;) uefi_call_wrapper(BS->Stall, 1, 1000000);
    return EFI_SUCCESS;
}
