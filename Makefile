# winmm-x86: a 32-bit x86 kernel with the Windows memory API layering.
#
#   make            build build/kernel.elf (+ kernel.sym, kernel.asm)
#   make iso        build/kernel.iso, bootable through GRUB
#   make run        boot the ISO in QEMU, serial console on this terminal
#                   (PAGEFILE_MB=N: the page file's disk image, default 64)
#   make test       every test suite; last line "N passed, N failed"
#                   (SUITES=pmm,vm selects kernel suites; SUITES=console, user:
#                   only the console's boots, the ring-3 programs)
#   make debug      QEMU halted with a GDB stub, gdb attached, break at kmain
#   make check-layers  no include/call circle, layers kept, no source file over 800 lines
#   make vmmap-svg  build/vmmap.svg: an address-space and a heap block map from the console
#   make clean
#
# Missing Debian packages are installed when run as root (tools/ensure-tools.sh).

# Build on every core unless told otherwise (make -jN overrides).
ifeq ($(filter -j%,$(MAKEFLAGS)),)
MAKEFLAGS += -j$(shell nproc 2>/dev/null || echo 2)
endif

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
          -fno-omit-frame-pointer -Wall -Wextra -Werror -MD -MP -I. -Ilibc/include
ASFLAGS := -f elf32 -g -F dwarf
LDFLAGS := -m elf_i386 -T linker.ld --build-id=none -z noexecstack

# Size of the .ksyms section (must match KSYMS_SIZE in kernel/base/ksyms.c).
KSYMS_SIZE := 98304

BOOT_OBJS := boot/entry.o

# kernel/base: what every other file may use (panic, kprintf, locks, x86).
BASE_OBJS := kernel/base/serial.o kernel/base/kprintf.o kernel/base/qemu.o kernel/base/panic.o \
	kernel/base/ksyms.o kernel/base/kjmp.o kernel/base/percpu.o kernel/base/lock.o
# kernel/arch: descriptor tables, interrupt entry, the PIC and the timer.
ARCH_OBJS := kernel/arch/gdt.o kernel/arch/trap.o kernel/arch/isr.o kernel/arch/pic.o kernel/arch/timer.o \
	kernel/arch/acpi.o kernel/arch/apic.o kernel/arch/ap_boot.o
# drivers/: devices below the memory manager (the page file's disk).
DRIVER_OBJS := drivers/ata.o
KERNEL_OBJS := $(BASE_OBJS) $(ARCH_OBJS) $(DRIVER_OBJS) \
	kernel/main.o kernel/bootinfo.o \
	kernel/cmdline.o kernel/usercopy.o kernel/usercopy_raw.o \
	kernel/usermode.o kernel/process.o kernel/elf.o kernel/syscall.o kernel/programs.o \
	kernel/thread.o kernel/switch.o kernel/syscall_info.o \
	kernel/object.o kernel/wait.o kernel/sync.o kernel/uthread.o kernel/syscall_objects.o \
	kernel/smp.o kernel/syscall_process.o kernel/process_memory.o kernel/syscall_ws.o kernel/mpw.o kernel/thread_heap.o
# The study console (kernel/console/).
CONSOLE_OBJS := kernel/console/shell.o kernel/console/line_edit.o kernel/console/util.o \
	kernel/console/cmds_sys.o kernel/console/cmds_vm.o kernel/console/cmds_pte.o \
	kernel/console/cmds_heap.o kernel/console/cmds_threads.o kernel/console/cmds_ws.o kernel/console/demo.o

# The heap engine (mm/heap/): portable C compiled three times, into the
# kernel (over mm/heap_kernel.c), the user SDK (over libc/user/heap_user.c)
# and the host library (over tests/host/heap_host_os.c).
HEAP_ENGINE_SRCS := mm/heap/heap_create.c mm/heap/heap_lock.c mm/heap/heap_front.c \
	mm/heap/heap_lfh.c mm/heap/heap_tcache.c mm/heap/heap_quick.c mm/heap/heap_bins.c \
	mm/heap/heap_realloc.c mm/heap/heap_segment.c mm/heap/heap_large.c \
	mm/heap/heap_walk.c mm/heap/heap_check.c mm/heap/heap_lfh_check.c mm/heap/heap_info.c

MM_OBJS := mm/pmm.o mm/paging.o mm/paging_dump.o mm/tlb.o mm/tlb_shootdown.o mm/pte_legacy.o mm/pte_pae.o \
	mm/kpool.o mm/vad.o mm/vm.o mm/vm_query.o mm/pager.o mm/vm_check.o mm/vm_watch.o mm/vm_ws.o mm/vm_dep.o mm/pfn.o mm/pagefile.o mm/virtual.o \
	$(HEAP_ENGINE_SRCS:.c=.o) mm/heap_kernel.o mm/kheap.o

LIBC_OBJS := libc/format.o libc/string.o libc/ntstatus_map.o libc/crt_malloc.o libc/crt_kernel.o

TEST_OBJS := tests/bench/kbench.o tests/bench/bench_vm.o tests/bench/bench_heap.o tests/bench/bench_pager.o \
	tests/bench/bench_heap_smp.o \
	tests/ktest.o tests/kernel/test_kprintf.o tests/kernel/test_exceptions.o \
	tests/kernel/test_multiboot.o tests/kernel/test_ksyms.o tests/kernel/test_selftest.o \
	tests/kernel/test_paging.o tests/kernel/test_stackoverflow.o tests/kernel/test_vm_model.o tests/kernel/test_vm.o \
	tests/kernel/test_threads.o tests/kernel/test_pfn.o tests/kernel/test_pagefile.o tests/kernel/test_pager.o tests/kernel/test_ws.o tests/kernel/test_pmm.o \
	tests/kernel/test_heap.o tests/kernel/test_heap_lfh.o tests/kernel/test_pae.o tests/kernel/test_highmem.o \
	tests/kernel/test_smp.o tests/kernel/test_smp_heap.o

TEST_OBJS += tests/kernel/test_crt.o

# The vm suite's cases, one file per spec section (see tests/kernel/test_vm.c).
TEST_OBJS += tests/kernel/test_vm/a_geometry.o tests/kernel/test_vm/b_alloc.o \
	tests/kernel/test_vm/c_reset.o tests/kernel/test_vm/d_free.o tests/kernel/test_vm/e_protect.o \
	tests/kernel/test_vm/f_query.o tests/kernel/test_vm/g_h_faults.o
# The vm_model suite's model, operations and other cases (see tests/kernel/test_vm_model.c).
TEST_OBJS += tests/kernel/test_vm_model/model.o tests/kernel/test_vm_model/ops.o \
	tests/kernel/test_vm_model/limits.o

OBJS := $(addprefix $(BUILD)/,$(BOOT_OBJS) $(KERNEL_OBJS) $(CONSOLE_OBJS) $(MM_OBJS) $(LIBC_OBJS) $(TEST_OBJS))

# Tool -> Debian package.  grub-mkrescue needs the i386-pc modules (grub-pc-bin).
BUILD_TOOLS := $(CC):gcc-i686-linux-gnu $(LD):binutils-i686-linux-gnu $(NASM):nasm \
               $(PYTHON):python3 grub-file:grub-common
ISO_TOOLS   := grub-mkrescue:grub-common /usr/lib/grub/i386-pc/modinfo.sh:grub-pc-bin \
               xorriso:xorriso mformat:mtools
RUN_TOOLS   := $(QEMU):qemu-system-x86
# make test checks every log with prove -e cat (Debian's perl-base lacks prove).
TEST_TOOLS  := prove:perl

.PHONY: all kernel iso run test bench debug clean tools-build tools-iso tools-run tools-test tools-debug

all: kernel
kernel: $(BUILD)/kernel.elf

tools-build:
	@sh tools/ensure-tools.sh $(BUILD_TOOLS)
tools-iso:
	@sh tools/ensure-tools.sh $(BUILD_TOOLS) $(ISO_TOOLS)
tools-run:
	@sh tools/ensure-tools.sh $(BUILD_TOOLS) $(ISO_TOOLS) $(RUN_TOOLS)
tools-test:
	@sh tools/ensure-tools.sh $(BUILD_TOOLS) $(ISO_TOOLS) $(RUN_TOOLS) $(TEST_TOOLS)
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
# User programs the ISO carries as multiboot modules, for the console's `run`.
ISO_PROGRAMS := $(patsubst tests/user/%.c,$(BUILD)/user/%.elf,$(wildcard $(addprefix tests/user/,hello.c demo_new.c ucrash_av.c demo_threads.c)))
$(BUILD)/kernel.iso: $(BUILD)/kernel.elf iso/grub.cfg $(ISO_PROGRAMS) | tools-iso
	rm -rf $(BUILD)/isodir
	mkdir -p $(BUILD)/isodir/boot/grub $(BUILD)/isodir/boot/programs
	cp $(BUILD)/kernel.elf $(BUILD)/isodir/boot/kernel.elf
	$(if $(ISO_PROGRAMS),cp $(ISO_PROGRAMS) $(BUILD)/isodir/boot/programs/)
	cp iso/grub.cfg $(BUILD)/isodir/boot/grub/grub.cfg
	grub-mkrescue -o $@ $(BUILD)/isodir 2>$(BUILD)/grub-mkrescue.log || \
		{ cat $(BUILD)/grub-mkrescue.log; exit 1; }

QEMU_BASE := -nodefaults -no-user-config -machine pc -accel tcg -cpu max -m 128M \
             -display none -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04

# The page file: a raw disk image on the primary IDE channel (drivers/ata.h),
# made here (sparse) and resized to PAGEFILE_MB on every run/test
# (make run PAGEFILE_MB=128).  Its contents need not survive a boot, so
# QEMU may ignore the guest's cache flushes (cache=unsafe): no host fsync
# per page written.  tests/harness.py gives each boot an image of its own.
PAGEFILE_MB ?= 64
PAGEFILE_IMG := $(BUILD)/pagefile.img
PAGEFILE_DRIVE = -drive file=$(PAGEFILE_IMG),format=raw,if=ide,index=0,cache=unsafe
.PHONY: pagefile-img
pagefile-img:
	@mkdir -p $(BUILD)
	@truncate -s $(PAGEFILE_MB)M $(PAGEFILE_IMG)

run: $(BUILD)/kernel.iso pagefile-img | tools-run
	@echo "booting $(BUILD)/kernel.iso with a $(PAGEFILE_MB) MiB page file; the serial console is this terminal ('halt' or Ctrl-C leaves)"
	$(QEMU) $(QEMU_BASE) -serial stdio $(PAGEFILE_DRIVE) -cdrom $(BUILD)/kernel.iso; \
		rc=$$?; [ $$rc -eq 33 ] || [ $$rc -eq 0 ] || exit $$rc

# The include/call graph has no circle and keeps its layers, and no
# source file is over 800 lines (tools/layers.py; docs/architecture.md).
.PHONY: check-layers
check-layers:
	@$(PYTHON) tests/tools/test_layers.py
	@$(PYTHON) tools/layers.py --max-lines 800

SUITES ?=
test: check-layers host-test $(BUILD)/kernel.elf $(BUILD)/kernel.iso user-programs | tools-test
	$(PYTHON) tests/harness.py --build $(BUILD) --pagefile-mb $(PAGEFILE_MB) $(if $(SUITES),--suites $(SUITES))

# Benchmarks: a release build (no frame poisoning) booted under
# -icount shift=0, where the TSC counts retired guest instructions; then
# the host heap benchmark (bench-host: the engine and its CRT against
# glibc, jemalloc and mimalloc).
bench: $(BUILD)/user/bench/ubench.elf | tools-run
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/release KDEFS="-DPMM_POISON=0 -DLOCK_CHECK=0" $(BUILD)/release/kernel.elf
	$(PYTHON) tests/bench.py --kernel $(BUILD)/release/kernel.elf --logs $(BUILD)/logs \
		--user $(BUILD)/user/bench/ubench.elf
	@$(MAKE) --no-print-directory bench-host

GDB_PORT ?= 1234
# DEBUG_BATCH=1 without APPEND: on to the idle console, then the gdb helpers (tools/gdb/winmm.py).
DEBUG_HELPERS := -ex 'break shell_wait_input' -ex continue -ex 'pte kmain' -ex 'vmmap kernel' -ex heapwalk
debug: $(BUILD)/kernel.elf | tools-debug
	$(QEMU) $(QEMU_BASE) -serial file:$(BUILD)/debug.serial -S -gdb tcp:127.0.0.1:$(GDB_PORT) \
		-kernel $(BUILD)/kernel.elf $(if $(APPEND),-append "$(APPEND)") & \
	qpid=$$!; \
	gdb -q -nx $(if $(DEBUG_BATCH),-batch) -ex 'set architecture i386' -x tools/gdb/winmm.py \
		-ex 'target remote 127.0.0.1:$(GDB_PORT)' -ex 'break kmain' -ex continue \
		$(if $(DEBUG_BATCH),-ex bt -ex 'info registers eip' $(if $(APPEND),,$(DEBUG_HELPERS))) $(BUILD)/kernel.elf; \
	kill $$qpid 2>/dev/null; wait $$qpid 2>/dev/null; true

clean:
	rm -rf $(BUILD)

# The console's pictures: boot it, play tools/vmmap-scene.txt, and draw the
# vmmap -m / heap -m dumps it prints into $(BUILD)/vmmap.svg (tools/vmmap_svg.py).
# DUMP=file draws a dump saved from a `make run` session instead.
.PHONY: vmmap-svg
vmmap-svg: $(if $(DUMP),,$(BUILD)/kernel.elf $(BUILD)/user/demo_threads.elf) | tools-run
	$(if $(DUMP),,$(PYTHON) tools/console_drive.py --kernel $(BUILD)/kernel.elf --from-prompt \
		--initrd $(BUILD)/user/demo_threads.elf \
		--script tools/vmmap-scene.txt --out $(BUILD)/vmmap-dump.txt)
	$(PYTHON) tools/vmmap_svg.py $(or $(DUMP),$(BUILD)/vmmap-dump.txt) -o $(BUILD)/vmmap.svg

-include $(OBJS:.o=.d)

# ===========================================================================
# User-mode SDK and user programs
#
#   make user-programs                  build/user/NAME.elf for every tests/user/NAME.c
#                                       (plus tests/user/NAME/*.c, if that folder exists)
#   make run-user PROG=path/to/file.c   compile any C file (anywhere on disk) against
#                                       the SDK, boot the kernel with it as the only
#                                       program, show its output (see tests/run_user.py
#                                       for the exit status; make itself exits 0 or 2)
#        [USER_CFLAGS=... | USER_CFLAGS_EXTRA=...]   extra flags for that program
#
# The SDK: libc/include (headers), libc/user (crt0, system-service stubs,
# kernel32, exceptions, stdio, stdlib) plus the formatter, string functions
# and NTSTATUS table the kernel also uses, compiled apart from the kernel's
# objects into build/user/sdk/ and archived as build/user/libsdk.a.  crt0.o
# is linked first into every program, as a C runtime's crt1.o is.
# ===========================================================================

AR := $(CROSS)ar
USER_BUILD := $(BUILD)/user
USER_SDK_DIR := $(USER_BUILD)/sdk

# -mgeneral-regs-only: the kernel does not save FPU/MMX/SSE state across
# traps yet, so user code must not touch those registers either.
# --param=min-pagesize=0: programs here poke fixed low addresses on purpose
# (*(int *)0x10 = 1); GCC 12 would otherwise reject those as out of bounds.
# -nostdinc, then GCC's own directory: a header the SDK lacks is an error
# rather than a silently mixed-in glibc header (<float.h>, <stdalign.h>,
# <cpuid.h> still come from GCC).
# (GCC's directory is asked for once, and only when something is compiled.)
GCC_INCLUDE_DIR = $(eval GCC_INCLUDE_DIR := $$(shell $$(CC) -print-file-name=include))$(GCC_INCLUDE_DIR)
SDK_CFLAGS = -std=gnu11 -ffreestanding -fno-pie -fno-pic -fno-stack-protector -nostdlib \
             -m32 -march=i686 -mgeneral-regs-only -O2 -g -fno-omit-frame-pointer \
             --param=min-pagesize=0 -Wall -Wextra -Werror -MD -MP \
             -nostdinc -isystem $(GCC_INCLUDE_DIR) -I. -Ilibc/include
USER_CFLAGS ?=
USER_CFLAGS_EXTRA ?=
USER_PROG_CFLAGS = $(SDK_CFLAGS) -Itests/user $(USER_CFLAGS) $(USER_CFLAGS_EXTRA)
USER_LDFLAGS := -m elf_i386 -T libc/user/user.ld --build-id=none -z max-page-size=0x1000 \
                -z noexecstack -nostdlib

SDK_C_SRCS := $(wildcard libc/user/*.c) libc/format.c libc/string.c libc/ntstatus_map.c libc/crt_malloc.c \
              $(HEAP_ENGINE_SRCS)
SDK_ASM_SRCS := $(filter-out libc/user/crt0.asm,$(wildcard libc/user/*.asm))
SDK_OBJS := $(patsubst %.c,$(USER_SDK_DIR)/%.o,$(SDK_C_SRCS)) \
            $(patsubst %.asm,$(USER_SDK_DIR)/%.o,$(SDK_ASM_SRCS))
USER_CRT0 := $(USER_BUILD)/crt0.o
USER_LIBSDK := $(USER_BUILD)/libsdk.a
USER_LIBUTEST := $(USER_BUILD)/libutest.a
USER_NTSVC_INC := $(USER_SDK_DIR)/ntsvc.inc
USER_LINK_DEPS := $(USER_CRT0) $(USER_LIBUTEST) $(USER_LIBSDK) libc/user/user.ld

# Every tests/user/*.c except the test framework is a program.  A program
# too big for one file keeps its main in tests/user/NAME.c and puts the
# rest in tests/user/NAME/*.c (with a header for what they share); all
# of them link into NAME.elf.
USER_PROGRAMS := $(filter-out tests/user/utest.c,$(wildcard tests/user/*.c))
USER_ELFS := $(patsubst tests/user/%.c,$(USER_BUILD)/%.elf,$(USER_PROGRAMS))
USER_PROGRAM_PARTS := $(wildcard $(USER_PROGRAMS:.c=/*.c))
USER_PROGRAM_OBJS := $(patsubst tests/user/%.c,$(USER_BUILD)/obj/%.o,$(USER_PROGRAMS) $(USER_PROGRAM_PARTS))
# user_objs(NAME): the objects of program NAME, its main file first.
user_objs = $(patsubst tests/user/%.c,$(USER_BUILD)/obj/%.o,tests/user/$(1).c \
	$(sort $(wildcard tests/user/$(1)/*.c)))
# Keep the programs' objects (make would delete them as intermediates).
.SECONDARY: $(USER_PROGRAM_OBJS)

.PHONY: user-sdk user-programs run-user run-user-build

user-sdk: $(USER_LINK_DEPS)
user-programs: $(USER_ELFS)

# The service numbers for syscalls.asm, from the one definition in ntsvc.h.
$(USER_NTSVC_INC): libc/include/ntsvc.h
	@mkdir -p $(dir $@)
	@sed -n 's/^#define \(NTSVC_VECTOR\|SVC_[A-Za-z]*\)[[:space:]]\+\(0x[0-9A-Fa-f]\+\).*/%define \1 \2/p' \
		$< > $@

$(USER_SDK_DIR)/%.o: %.c | tools-build
	@mkdir -p $(dir $@)
	@echo "  CC    $< (user)"
	@$(CC) $(SDK_CFLAGS) -c $< -o $@

$(USER_SDK_DIR)/%.o: %.asm $(USER_NTSVC_INC) | tools-build
	@mkdir -p $(dir $@)
	@echo "  NASM  $< (user)"
	@$(NASM) $(ASFLAGS) -I$(USER_SDK_DIR)/ -MD $(@:.o=.d) $< -o $@

$(USER_CRT0): libc/user/crt0.asm | tools-build
	@mkdir -p $(dir $@)
	@echo "  NASM  $< (user)"
	@$(NASM) $(ASFLAGS) -MD $(@:.o=.d) $< -o $@

$(USER_LIBSDK): $(SDK_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(USER_BUILD)/utest/utest.o: tests/user/utest.c | tools-build
	@mkdir -p $(dir $@)
	@echo "  CC    $< (user)"
	@$(CC) $(USER_PROG_CFLAGS) -c $< -o $@

$(USER_LIBUTEST): $(USER_BUILD)/utest/utest.o
	@rm -f $@
	$(AR) rcs $@ $^

# LINK_USER(elf, object): crt0 first; the archives in a group (utest uses
# the SDK, the SDK uses libgcc's 64-bit division).
define LINK_USER
$(LD) $(USER_LDFLAGS) -o $(1) $(USER_CRT0) $(2) \
	--start-group $(USER_LIBUTEST) $(USER_LIBSDK) $$($(CC) -print-libgcc-file-name) --end-group
endef

$(USER_BUILD)/obj/%.o: tests/user/%.c | tools-build
	@mkdir -p $(dir $@)
	@echo "  CC    $< (user)"
	@$(CC) $(USER_PROG_CFLAGS) -c $< -o $@

# (Second expansion: the prerequisites name the stem, $$*.)
.SECONDEXPANSION:
$(USER_BUILD)/%.elf: $$(call user_objs,$$*) $(USER_LINK_DEPS)
	$(call LINK_USER,$@,$(call user_objs,$*))

# Ring-3 benchmarks (make bench).
$(USER_BUILD)/bench/%.o: tests/bench/user/%.c | tools-build
	@mkdir -p $(dir $@)
	@echo "  CC    $< (user)"
	@$(CC) $(USER_PROG_CFLAGS) -c $< -o $@

$(USER_BUILD)/bench/%.elf: $(USER_BUILD)/bench/%.o $(USER_LINK_DEPS)
	$(call LINK_USER,$@,$<)

# make run-user PROG=path/to/file.c: the program is named after the file
# (the kernel runs it as run=NAME).  run-user-build only compiles and
# links it; tests/run_user.py FILE.c uses that and exits with the
# program's own status, which make cannot pass on (it exits 0 or 2).
RUN_USER_NAME = $(basename $(notdir $(PROG)))
RUN_USER_DIR := $(USER_BUILD)/run-user
RUN_USER_ELF = $(RUN_USER_DIR)/$(RUN_USER_NAME).elf
# PROG=dir/NAME.c with a folder dir/NAME/: its *.c are parts of the program.
RUN_USER_PARTS = $(sort $(wildcard $(basename $(PROG))/*.c))
RUN_USER_TIMEOUT ?= 120

ifneq ($(filter run-user run-user-build,$(MAKECMDGOALS)),)
ifeq ($(strip $(PROG)),)
$(error usage: make run-user PROG=path/to/file.c [USER_CFLAGS_EXTRA=...])
endif
endif

run-user-build: $(BUILD)/kernel.elf $(USER_LINK_DEPS)
	@test -f "$(PROG)" || { echo "run-user: $(PROG): no such file" >&2; exit 2; }
	@mkdir -p $(RUN_USER_DIR)
	@echo "  CC    $(PROG) (user)"
	@$(CC) $(USER_PROG_CFLAGS) -c "$(PROG)" -o $(RUN_USER_DIR)/$(RUN_USER_NAME).o
	@for f in $(RUN_USER_PARTS); do \
		echo "  CC    $$f (user)"; mkdir -p $(RUN_USER_DIR)/$(RUN_USER_NAME); \
		$(CC) $(USER_PROG_CFLAGS) -c "$$f" -o $(RUN_USER_DIR)/$(RUN_USER_NAME)/$$(basename "$$f" .c).o || exit 1; \
	done
	@echo "  LD    $(RUN_USER_ELF)"
	@$(call LINK_USER,$(RUN_USER_ELF),$(RUN_USER_DIR)/$(RUN_USER_NAME).o \
		$(patsubst %.c,$(RUN_USER_DIR)/$(RUN_USER_NAME)/%.o,$(notdir $(RUN_USER_PARTS))))

run-user: run-user-build | tools-run
	@$(PYTHON) tests/run_user.py --kernel $(BUILD)/kernel.elf --timeout $(RUN_USER_TIMEOUT) \
		$(RUN_USER_ELF)

-include $(SDK_OBJS:.o=.d) $(USER_CRT0:.o=.d) $(USER_BUILD)/utest/utest.d \
	$(USER_PROGRAM_OBJS:.o=.d)

# ===========================================================================
# Host heap: the heap engine (mm/heap/) built for x86-64 Linux over a
# page provider on mmap (tests/host/), to test it under ASan/UBSan and to
# benchmark it against glibc, jemalloc and mimalloc.
#
#   make host-heap   build/host/libheap.a + build/host/include/heapapi.h
#                    (link any C program with -lheap -lpthread)
#   make host-test   the host tests, with the front end and without; the
#                    result lines and failing names go to build/host/
#                    test-results.txt and test-results-nolfh.txt (under
#                    `make test` a failure is recorded there instead of
#                    stopping make)
#   make bench-host  the comparison table (about a minute; `make bench` runs it too)
#
HOST_CC      ?= gcc
HOST_BUILD   := $(BUILD)/host
HOSTLIB_SRCS := $(HEAP_ENGINE_SRCS) tests/host/heap_host_os.c tests/host/heapapi_host.c tests/host/crt_host.c
HOST_CFLAGS  := -std=gnu11 -O2 -g -Wall -Wextra -Werror -MD -MP -I$(HOST_BUILD)/include
HOST_SAN     := -fsanitize=address,undefined -fno-omit-frame-pointer
HOST_TOOLS   := $(HOST_CC):gcc
BENCH_TOOLS  := /usr/include/jemalloc/jemalloc.h:libjemalloc-dev /usr/include/mimalloc.h:libmimalloc-dev
HOSTLIB_OBJS := $(HOSTLIB_SRCS:%.c=$(HOST_BUILD)/obj/%.o)
HOSTLIB_ASAN := $(HOSTLIB_SRCS:%.c=$(HOST_BUILD)/asan/%.o)
HEAP_I686    := $(addprefix $(BUILD)/,$(HEAP_ENGINE_SRCS:.c=.o))
BENCH_EXES   := $(addprefix $(HOST_BUILD)/bench_heap_,project project_crt glibc jemalloc mimalloc)

.PHONY: host-heap host-test bench-host tools-host tools-bench

tools-host:
	@sh tools/ensure-tools.sh $(HOST_TOOLS)
tools-bench:
	@sh tools/ensure-tools.sh $(HOST_TOOLS) $(BENCH_TOOLS)

host-heap: $(HOST_BUILD)/libheap.a $(HOST_BUILD)/include/heapapi.h

$(HOST_BUILD)/include/heapapi.h: tests/host/heapapi.h
	@mkdir -p $(dir $@)
	cp $< $@

$(HOST_BUILD)/obj/%.o: %.c $(HOST_BUILD)/include/heapapi.h | tools-host
	@mkdir -p $(dir $@)
	@echo "  HOSTCC $<"
	@$(HOST_CC) $(HOST_CFLAGS) -c $< -o $@

$(HOST_BUILD)/asan/%.o: %.c $(HOST_BUILD)/include/heapapi.h | tools-host
	@mkdir -p $(dir $@)
	@echo "  HOSTCC $< (asan)"
	@$(HOST_CC) $(HOST_CFLAGS) $(HOST_SAN) -c $< -o $@

$(HOST_BUILD)/libheap.a: $(HOSTLIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(HOST_BUILD)/libheap-asan.a: $(HOSTLIB_ASAN)
	@rm -f $@
	ar rcs $@ $^

# The host tests: the runner (test_heap_host.c) and the cases by spec group.
HOST_TEST_SRCS := tests/host/test_heap_host.c tests/host/test_heap_host_ij.c \
	tests/host/test_heap_host_klm.c tests/host/test_heap_host_robust.c \
	tests/host/test_heap_host_random.c tests/host/test_heap_host_lfh.c tests/host/test_heap_host_inject.c
HOST_TEST_OBJS := $(HOST_TEST_SRCS:%.c=$(HOST_BUILD)/asan/%.o)
$(HOST_BUILD)/test_heap_host: $(HOST_TEST_OBJS) $(HOST_BUILD)/libheap-asan.a
	$(HOST_CC) $(HOST_SAN) -o $@ $^ -lpthread

# The engine must also build for the kernel (i686, freestanding, -Werror):
# $(HEAP_I686) come from the kernel's own %.o rule.
# Twice: as heaps are made, and with the low-fragmentation front end
# forced off (HEAP_HOST_NO_LFH=1: every heap standard), so both paths
# stay tested.
host-test: $(HOST_BUILD)/test_heap_host $(HEAP_I686)
	@$(HOST_BUILD)/test_heap_host --results $(HOST_BUILD)/test-results.txt \
		$(if $(filter test,$(MAKECMDGOALS)),|| echo "host heap tests FAILED (build/host/test-results.txt)")
	@HEAP_HOST_NO_LFH=1 $(HOST_BUILD)/test_heap_host --results $(HOST_BUILD)/test-results-nolfh.txt \
		$(if $(filter test,$(MAKECMDGOALS)),|| echo "host heap tests FAILED (build/host/test-results-nolfh.txt)")

# Benchmark executables: one per allocator (see tests/host/bench_heap.c).
BENCH_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -I$(HOST_BUILD)/include
$(HOST_BUILD)/bench_heap_project: tests/host/bench_heap.c $(HOST_BUILD)/libheap.a | tools-bench
	$(HOST_CC) $(BENCH_CFLAGS) -DBENCH_IMPL=1 -o $@ $< $(HOST_BUILD)/libheap.a -lpthread
$(HOST_BUILD)/bench_heap_project_crt: tests/host/bench_heap.c $(HOST_BUILD)/libheap.a | tools-bench
	$(HOST_CC) $(BENCH_CFLAGS) -DBENCH_IMPL=5 -o $@ $< $(HOST_BUILD)/libheap.a -lpthread
$(HOST_BUILD)/bench_heap_glibc: tests/host/bench_heap.c | tools-bench
	@mkdir -p $(dir $@)
	$(HOST_CC) $(BENCH_CFLAGS) -DBENCH_IMPL=2 -o $@ $< -lpthread
$(HOST_BUILD)/bench_heap_jemalloc: tests/host/bench_heap.c | tools-bench
	@mkdir -p $(dir $@)
	$(HOST_CC) $(BENCH_CFLAGS) -DBENCH_IMPL=3 -o $@ $< -Wl,--no-as-needed -ljemalloc -lpthread
$(HOST_BUILD)/bench_heap_mimalloc: tests/host/bench_heap.c | tools-bench
	@mkdir -p $(dir $@)
	$(HOST_CC) $(BENCH_CFLAGS) -DBENCH_IMPL=4 -o $@ $< -lmimalloc -lpthread
$(HOST_BUILD)/bench_heap: tests/host/bench_heap_driver.c | tools-bench
	@mkdir -p $(dir $@)
	$(HOST_CC) $(BENCH_CFLAGS) -o $@ $<

bench-host: $(HOST_BUILD)/bench_heap $(BENCH_EXES)
	$(HOST_BUILD)/bench_heap $(HOST_BUILD)

-include $(HOSTLIB_OBJS:.o=.d) $(HOSTLIB_ASAN:.o=.d) $(HOST_TEST_OBJS:.o=.d) \
	$(HEAP_I686:.o=.d)
