# winmm-x86: a 32-bit x86 kernel with the Windows memory API layering.
#
#   make            build build/kernel.elf (+ kernel.sym, kernel.asm)
#   make iso        build/kernel.iso, bootable through GRUB
#   make run        boot the ISO in QEMU, serial console on this terminal
#   make test       every test suite; last line "N passed, N failed"
#                   (SUITES=pmm,vm selects kernel suites)
#   make debug      QEMU halted with a GDB stub, gdb attached, break at kmain
#   make clean
#
# Missing Debian packages are installed when run as root (tools/ensure-tools.sh).

CROSS   ?= i686-linux-gnu-
CC      := $(CROSS)gcc
LD      := $(CROSS)ld
OBJCOPY := $(CROSS)objcopy
OBJDUMP := $(CROSS)objdump
NM      := $(CROSS)nm
NASM    := nasm
QEMU    := qemu-system-i386
PYTHON  ?= python3
BUILD   := build

# KDEFS: extra defines, e.g. -DPMM_POISON=0 for the benchmark build.
KDEFS   ?=
CFLAGS := $(KDEFS) -std=gnu11 -ffreestanding -fno-pie -fno-pic -fno-stack-protector \
          -nostdlib -m32 -march=i686 -mgeneral-regs-only -O2 -g \
          -fno-omit-frame-pointer -Wall -Wextra -Werror -MD -I. -Ilibc/include
ASFLAGS := -f elf32 -g -F dwarf
LDFLAGS := -m elf_i386 -T linker.ld --build-id=none -z noexecstack

# Size of the .ksyms section (must match KSYMS_SIZE in kernel/ksyms.c).
KSYMS_SIZE := 98304

BOOT_OBJS := boot/entry.o

KERNEL_OBJS := \
	kernel/main.o kernel/serial.o kernel/console.o kernel/qemu.o \
	kernel/gdt.o kernel/trap.o kernel/isr.o kernel/kjmp.o kernel/pic.o \
	kernel/timer.o kernel/panic.o kernel/ksyms.o kernel/bootinfo.o \
	kernel/cmdline.o kernel/shell.o kernel/usercopy.o kernel/usercopy_raw.o \
	kernel/usermode.o kernel/process.o kernel/elf.o kernel/syscall.o kernel/programs.o \
	kernel/thread.o kernel/switch.o

MM_OBJS := mm/pmm.o mm/paging.o mm/kpool.o mm/vad.o mm/vm.o mm/virtual.o

LIBC_OBJS := libc/format.o libc/string.o libc/ntstatus_map.o

TEST_OBJS := tests/bench/kbench.o tests/bench/bench_vm.o \
	tests/ktest.o tests/kernel/test_kprintf.o tests/kernel/test_exceptions.o \
	tests/kernel/test_multiboot.o tests/kernel/test_ksyms.o tests/kernel/test_selftest.o \
	tests/kernel/test_paging.o tests/kernel/test_stackoverflow.o tests/kernel/test_vm_model.o tests/kernel/test_vm.o \
	tests/kernel/test_threads.o tests/kernel/test_pmm.o

OBJS := $(addprefix $(BUILD)/,$(BOOT_OBJS) $(KERNEL_OBJS) $(MM_OBJS) $(LIBC_OBJS) $(TEST_OBJS))

# Tool -> Debian package.  grub-mkrescue needs the i386-pc modules (grub-pc-bin).
BUILD_TOOLS := $(CC):gcc-i686-linux-gnu $(LD):binutils-i686-linux-gnu $(NASM):nasm \
               $(PYTHON):python3 grub-file:grub-common
ISO_TOOLS   := grub-mkrescue:grub-common /usr/lib/grub/i386-pc/modinfo.sh:grub-pc-bin \
               xorriso:xorriso mformat:mtools
RUN_TOOLS   := $(QEMU):qemu-system-x86

.PHONY: all kernel iso run test bench debug clean tools-build tools-iso tools-run tools-debug

all: kernel
kernel: $(BUILD)/kernel.elf

tools-build:
	@sh tools/ensure-tools.sh $(BUILD_TOOLS)
tools-iso:
	@sh tools/ensure-tools.sh $(BUILD_TOOLS) $(ISO_TOOLS)
tools-run:
	@sh tools/ensure-tools.sh $(BUILD_TOOLS) $(ISO_TOOLS) $(RUN_TOOLS)
tools-debug:
	@sh tools/ensure-tools.sh $(BUILD_TOOLS) $(RUN_TOOLS) gdb:gdb

$(BUILD)/%.o: %.c | tools-build
	@mkdir -p $(dir $@)
	@echo "  CC    $<"
	@$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/%.o: %.asm | tools-build
	@mkdir -p $(dir $@)
	@echo "  NASM  $<"
	@$(NASM) $(ASFLAGS) -MD $(@:.o=.d) $< -o $@

# Link, then fill the fixed-size .ksyms section with the symbol table
# (no address moves), then check the multiboot header.
$(BUILD)/kernel.elf: $(OBJS) linker.ld tools/mksyms.py
	$(LD) $(LDFLAGS) -o $@.nosyms $(OBJS) $$($(CC) -print-libgcc-file-name)
	$(NM) -n $@.nosyms > $(BUILD)/kernel.nm
	$(PYTHON) tools/mksyms.py $(BUILD)/kernel.nm $(KSYMS_SIZE) $(BUILD)/ksyms.bin
	$(OBJCOPY) --update-section .ksyms=$(BUILD)/ksyms.bin $@.nosyms $@
	rm -f $@.nosyms
	grub-file --is-x86-multiboot $@
	$(NM) -n $@ > $(BUILD)/kernel.sym
	$(OBJDUMP) -d -S $@ > $(BUILD)/kernel.asm

iso: $(BUILD)/kernel.iso
$(BUILD)/kernel.iso: $(BUILD)/kernel.elf iso/grub.cfg | tools-iso
	rm -rf $(BUILD)/isodir
	mkdir -p $(BUILD)/isodir/boot/grub
	cp $(BUILD)/kernel.elf $(BUILD)/isodir/boot/kernel.elf
	cp iso/grub.cfg $(BUILD)/isodir/boot/grub/grub.cfg
	grub-mkrescue -o $@ $(BUILD)/isodir 2>$(BUILD)/grub-mkrescue.log || \
		{ cat $(BUILD)/grub-mkrescue.log; exit 1; }

QEMU_BASE := -nodefaults -no-user-config -machine pc -accel tcg -cpu max -m 128M \
             -display none -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04

run: $(BUILD)/kernel.iso | tools-run
	@echo "booting $(BUILD)/kernel.iso; the serial console is this terminal ('halt' or Ctrl-C leaves)"
	$(QEMU) $(QEMU_BASE) -serial stdio -cdrom $(BUILD)/kernel.iso; \
		rc=$$?; [ $$rc -eq 33 ] || [ $$rc -eq 0 ] || exit $$rc

SUITES ?=
test: $(BUILD)/kernel.elf $(BUILD)/kernel.iso | tools-run
	$(PYTHON) tests/harness.py --build $(BUILD) $(if $(SUITES),--suites $(SUITES))

# Benchmarks: a release build (no frame poisoning) booted under
# -icount shift=0, where the TSC counts retired guest instructions.
bench: | tools-run
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/release KDEFS=-DPMM_POISON=0 $(BUILD)/release/kernel.elf
	$(PYTHON) tests/bench.py --kernel $(BUILD)/release/kernel.elf --logs $(BUILD)/logs

GDB_PORT ?= 1234
debug: $(BUILD)/kernel.elf | tools-debug
	$(QEMU) $(QEMU_BASE) -serial file:$(BUILD)/debug.serial -S -gdb tcp:127.0.0.1:$(GDB_PORT) \
		-kernel $(BUILD)/kernel.elf $(if $(APPEND),-append "$(APPEND)") & \
	qpid=$$!; \
	gdb -q -nx $(if $(DEBUG_BATCH),-batch) -ex 'set architecture i386' \
		-ex 'target remote 127.0.0.1:$(GDB_PORT)' -ex 'break kmain' -ex continue \
		$(if $(DEBUG_BATCH),-ex bt -ex 'info registers eip') $(BUILD)/kernel.elf; \
	kill $$qpid 2>/dev/null; wait $$qpid 2>/dev/null; true

clean:
	rm -rf $(BUILD)

-include $(OBJS:.o=.d)
