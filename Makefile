# Whelp: build everything from src-generated/ (no noweb needed for that);
# `make tangle` regenerates src-generated/ from chapters/.
# The book's chapter "Building and reading Whelp" explains this file.

SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -ec
.DELETE_ON_ERROR:
.SUFFIXES:
MAKEFLAGS += -rR
.SECONDARY:

B := build
G := src-generated
DEPS := $(B)/deps
KHEADERS = $(firstword $(wildcard $(DEPS)/kernel/usr/src/linux-headers-*-686))
KHEADERS_PAE = $(firstword $(wildcard $(DEPS)/kernel-pae/usr/src/linux-headers-*-686-pae))
VMLINUZ = $(firstword $(wildcard $(DEPS)/kernel/boot/vmlinuz-*-686))
# HOST=686-pae boots the host VM (make run, shell, qemu-gdb, check-vm) on
# Debian's PAE build of the same kernel; tools/deps.sh fetches both.
# (Some shells put the machine's name in HOST: only a value given on make's
# command line, or one of the two names, counts.)
ifeq ($(origin HOST),command line)
ifneq ($(filter-out 686 686-pae,$(HOST)),)
$(error HOST is 686 or 686-pae, not '$(HOST)')
endif
else ifeq ($(filter 686 686-pae,$(HOST)),)
HOST := 686
endif
export HOST
BUSYBOX := $(DEPS)/busybox/bin/busybox

# Quiet build lines, as Kbuild prints them ("  CC      build/x.o"); V=1
# prints the full commands instead, make -s neither.
V ?= 0
ifeq ($(V),1)
Q :=
quiet =
else
Q := @
ifneq ($(findstring s,$(firstword -$(MAKEFLAGS))),)
quiet = @
else
quiet = @printf '  %-7s %s\n' '$(1)' '$(2)';
endif
endif

# A chapter edited since the last tangle: tangle again (or warn, without
# noweb) before anything is built from src-generated/.
STALE_GOALS := all module launcher guests guests-pae unit-tests initramfs run shell shell-guest \
	check check-unit check-vm bench qemu-gdb fuzzers disk
ifeq ($(MAKELEVEL),0)
ifneq ($(if $(MAKECMDGOALS),$(filter $(STALE_GOALS),$(MAKECMDGOALS)),all),)
_ := $(shell tangle/stale.sh)
endif
endif

# Knobs for the host VM.
CPU ?= max
SMP ?= 2
MEM ?= 512
SCENARIO ?= hello
export CPU SMP MEM

CC := gcc
LD := ld
WARN := -Wall -Wextra -Werror
# Programs that run inside the host VM: static i386.
VM_CFLAGS := -m32 -static -O2 -g $(WARN) -I$(G)/include
# Unit tests run on the build machine.
UNIT_CFLAGS := -O1 -g $(WARN) -I$(G)/include -I$(G)/launcher -I$(G)/host \
	-I$(G)/launcher-kvm
CHECK_LIBS = $(shell pkg-config --cflags --libs check)
# The Guest: freestanding i386, ring 1, no libc. A page table is read both
# as words and as whole entries, as in Linux: no strict aliasing.
GUEST_CFLAGS := -m32 -ffreestanding -fno-pic -fno-pie -fno-stack-protector \
	-fno-strict-aliasing \
	-fno-asynchronous-unwind-tables -mno-sse -mno-mmx -mno-80387 \
	-O2 -g $(WARN) -I$(G)/include -I$(G)/guest
GUEST_LDFLAGS := -m elf_i386 -nostdlib -static --build-id=none

LAUNCHER_SRC = $(wildcard $(G)/launcher/*.c)
LAUNCHER_LIB_SRC = $(filter-out %/main.c,$(LAUNCHER_SRC))
HOST_SRC = $(wildcard $(G)/host/*)
UNIT_TESTS = $(patsubst $(G)/tests/unit/%.c,$(B)/tests/unit/%,$(wildcard $(G)/tests/unit/check_*.c))
VM_PROGS = $(patsubst $(G)/tests/vm/%.c,$(B)/vm/tests/bin/%,$(wildcard $(G)/tests/vm/*.c))
VM_SCRIPTS = $(wildcard $(G)/tests/vm/*.sh $(G)/tests/vm/*.inc)
GUESTS = $(patsubst $(G)/guest/%.ld,$(B)/guest/%.elf,$(wildcard $(G)/guest/*.ld))

.PHONY: qemu-gdb gdb help all deps tangle module launcher launcher-kvm guests guests-pae unit-tests initramfs book run \
	shell shell-guest run-native check check-unit check-vm bench clean distclean \
	fuzzers fuzz fuzz-elf fuzz-options fuzz-mmio fuzz-virtio fuzz-blk fuzz-hypercalls fuzz-pupfs disk \
	labs lab-start grade check-labs handout lab-refresh

all: module launcher launcher-kvm guests guests-pae disk unit-tests initramfs

# ---------------------------------------------------------------- set-up
deps:
	@tools/deps.sh

$(DEPS)/kernel/.complete $(DEPS)/kernel-pae/.complete $(BUSYBOX):
	@tools/deps.sh

tangle:
	$(call quiet,TANGLE,chapters/*.nw -> src-generated/)tangle/tangle.sh

help:
	@echo 'Whelp: make TARGET [KNOB=value ...]'
	@echo '  run         boot the host VM, run SCENARIO (hello) on the terminal (~40 s)'
	@echo '              (KVM=1: pup under KVM, scenario kvm; needs CPU=max)'
	@echo '  shell       boot the host VM to a shell with whelp.ko loaded (Ctrl-A X quits)'
	@echo '  shell-guest boot the host VM into pup'"'"'s shell psh in a Guest (Ctrl-A X quits)'
	@echo '  run-native  boot pup as the machine'"'"'s own kernel, no Whelp (CMDLINE=hello)'
	@echo '  check       every test: unit, distribution, fuzzers, VM, labs (~25 min)'
	@echo '  check-unit  the Check unit tests only (seconds)'
	@echo '  check-vm    the VM scenarios only, on VM_CONFIGS'
	@echo '  qemu-gdb    the host VM waiting for gdb on one processor (chapter 2)'
	@echo '  gdb         (another terminal) gdb attached, symbols loaded'
	@echo '  all         (the default) module, Launcher, guests, disk, tests, initramfs'
	@echo '              (each for both host kernels, 686 and 686-pae)'
	@echo '  disk        build/guest/disk.img: pup'"'"'s programs in a pupfs image (mkpupfs)'
	@echo '  tangle      chapters/*.nw -> src-generated/ (needs noweb)'
	@echo '  book        weave the chapters into build/book/whelp.pdf (~2 min)'
	@echo '  bench       pup natively, on Whelp and under KVM, and Linux, on each host of'
	@echo '              BENCH_HOSTS (686 686-pae): the table (~20 min)'
	@echo '  fuzz        fuzz the ELF loader, options, MMIO decoder, virtio, pupfs (FUZZ_TIME s each)'
	@echo '  labs        list the course labs (Part VII); lab-start LAB=NN starts one'
	@echo '  grade       grade the tree for LAB=NN; check-labs proves every grader'
	@echo '  handout     a student tarball of HEAD without the reference solutions'
	@echo '  deps        install and fetch what the build needs'
	@echo '  clean       remove build output (distclean: also build/deps)'
	@echo 'Knobs: CPU=max|pentium3 SMP=N MEM=MB SCENARIO=NAME[,NAME] V=1 (full commands)'
	@echo '  HOST=686|686-pae (the host VM'"'"'s kernel: run, shell, qemu-gdb, check-vm)'
	@echo '  BENCH_HOSTS="686 686-pae" BENCH_PAIRS=3 BENCH_SCALE=10 (make bench)'
	@echo '  CMDLINE="procs" (run-native: pup'"'"'s command line)'
	@echo '  VM_CONFIGS="max:2 pentium3:1" VM_SCENARIOS=hello,console (check, check-vm)'
	@echo '  tests/run-vm.sh --check "" lists the scenarios'

# ---------------------------------------------------------------- the Host
# Kbuild builds in a copy of the sources, so src-generated/ stays clean:
# build/host/ against the 686 kernel's headers, build/host-pae/ against the
# 686-pae kernel's (the same sources; CONFIG_X86_PAE makes them WHELP_PAE).
module: $(B)/host/whelp.ko $(B)/host-pae/whelp.ko
$(B)/host/whelp.ko: $(HOST_SRC) $(G)/include/whelp_abi.h | $(DEPS)/kernel/.complete
	@mkdir -p $(B)/host/include
	@cp -p $(HOST_SRC) $(B)/host/
	@cp -p $(G)/include/whelp_abi.h $(B)/host/include/
	$(call quiet,KBUILD,$@)$(MAKE) $(if $(filter 1,$(V)),V=1,-s) -C $(KHEADERS) M=$(abspath $(B)/host) modules
$(B)/host-pae/whelp.ko: $(HOST_SRC) $(G)/include/whelp_abi.h | $(DEPS)/kernel-pae/.complete
	@mkdir -p $(B)/host-pae/include
	@cp -p $(HOST_SRC) $(B)/host-pae/
	@cp -p $(G)/include/whelp_abi.h $(B)/host-pae/include/
	$(call quiet,KBUILD,$@)$(MAKE) $(if $(filter 1,$(V)),V=1,-s) -C $(KHEADERS_PAE) M=$(abspath $(B)/host-pae) modules

# ---------------------------------------------------------------- Launcher
launcher: $(B)/launcher/whelp
$(B)/launcher/whelp: $(LAUNCHER_SRC) $(wildcard $(G)/launcher/*.h) $(G)/include/whelp_abi.h
	@mkdir -p $(@D)
	$(call quiet,CC,$@)$(CC) $(VM_CFLAGS) -I$(G)/launcher $(LAUNCHER_SRC) -o $@

# The KVM Launcher (chapter 24, "the road not taken"): the Launcher's files
# but its main.c, and its own.
KVM_LAUNCHER_SRC = $(wildcard $(G)/launcher-kvm/*.c)
launcher-kvm: $(B)/launcher/whelp-kvm
$(B)/launcher/whelp-kvm: $(LAUNCHER_LIB_SRC) $(KVM_LAUNCHER_SRC) \
		$(wildcard $(G)/launcher/*.h $(G)/launcher-kvm/*.h) $(G)/include/whelp_abi.h
	@mkdir -p $(@D)
	$(call quiet,CC,$@)$(CC) $(VM_CFLAGS) -I$(G)/launcher -I$(G)/launcher-kvm \
		$(LAUNCHER_LIB_SRC) $(KVM_LAUNCHER_SRC) -o $@

# ---------------------------------------------------------------- Guests
# Each guest/NAME.ld links every object of guest/NAME-*.S and guest/NAME-*.c
# plus the shared guest/lib-*.c.
guests: $(GUESTS)
$(B)/guest/%.o: $(G)/guest/%.c $(wildcard $(G)/guest/*.h) $(G)/include/whelp_abi.h
	@mkdir -p $(@D)
	$(call quiet,CC,$@)$(CC) $(GUEST_CFLAGS) -c $< -o $@
$(B)/guest/%.o: $(G)/guest/%.S $(G)/include/whelp_abi.h
	@mkdir -p $(@D)
	$(call quiet,AS,$@)$(CC) $(GUEST_CFLAGS) -c $< -o $@
.SECONDEXPANSION:
$(B)/guest/%.elf: $(G)/guest/%.ld $$(addprefix $(B)/guest/,$$(addsuffix .o,$$(notdir $$(basename $$(wildcard $(G)/guest/$$*-*.[cS] $(G)/guest/lib-*.c)))))
	$(call quiet,LD,$@)$(LD) $(GUEST_LDFLAGS) -T $< -o $@ $(filter %.o,$^)

# The same Guests for a PAE host, whose Guests' page tables have the Host's
# three-level format (chapter "The Guest's contract"): build/guest-pae/.
GUESTS_PAE = $(patsubst $(B)/guest/%,$(B)/guest-pae/%,$(GUESTS))
guests-pae: $(GUESTS_PAE)
$(B)/guest-pae/%.o: $(G)/guest/%.c $(wildcard $(G)/guest/*.h) $(G)/include/whelp_abi.h
	@mkdir -p $(@D)
	$(call quiet,CC,$@)$(CC) $(GUEST_CFLAGS) -DWHELP_PAE -c $< -o $@
$(B)/guest-pae/%.o: $(G)/guest/%.S $(G)/include/whelp_abi.h
	@mkdir -p $(@D)
	$(call quiet,AS,$@)$(CC) $(GUEST_CFLAGS) -DWHELP_PAE -c $< -o $@
$(B)/guest-pae/%.elf: $(G)/guest/%.ld $$(addprefix $(B)/guest-pae/,$$(addsuffix .o,$$(notdir $$(basename $$(wildcard $(G)/guest/$$*-*.[cS] $(G)/guest/lib-*.c)))))
	$(call quiet,LD,$@)$(LD) $(GUEST_LDFLAGS) -T $< -o $@ $(filter %.o,$^)

# ---------------------------------------------------------------- programs
# pup's programs (chapter 14): each user/NAME.c but the library's
# user/lib-*.[cS] is one static ELF program, linked at 0x08048000 by
# user/user.ld with the whole library, stripped. They are files of
# build/guest/disk.img (below), pup's disk, not part of pup's image.
# Programs may use the x87 unit, never SSE.
USER_CFLAGS := -m32 -ffreestanding -fno-pic -fno-pie -fno-stack-protector \
	-fno-asynchronous-unwind-tables -mno-sse -mno-mmx -mfpmath=387 \
	-O2 -g $(WARN) -I$(G)/user -I$(G)/guest
USER_LIB = $(addprefix $(B)/user/,$(addsuffix .o,$(notdir $(basename $(wildcard $(G)/user/lib-*.[cS])))))
USER_NAMES = $(notdir $(basename $(filter-out $(G)/user/lib-%,$(wildcard $(G)/user/*.c))))
USER_PROGS = $(addprefix $(B)/user/,$(addsuffix .elf,$(USER_NAMES)))
empty :=
comma := ,
$(B)/user/%.o: $(G)/user/%.c $(wildcard $(G)/user/*.h) $(G)/guest/syscalls.h
	@mkdir -p $(@D)
	$(call quiet,CC,$@)$(CC) $(USER_CFLAGS) -c $< -o $@
$(B)/user/%.o: $(G)/user/%.S
	@mkdir -p $(@D)
	$(call quiet,AS,$@)$(CC) $(USER_CFLAGS) -c $< -o $@
$(B)/user/%.elf: $(B)/user/%.o $(USER_LIB) $(G)/user/user.ld
	$(call quiet,LD,$@)$(LD) $(GUEST_LDFLAGS) -s -T $(G)/user/user.ld -o $@ $< $(USER_LIB)

# ---------------------------------------------------------------- pupfs
# The chapter "A file system to read": mkpupfs, a program of the build
# machine, and build/guest/disk.img, the disk of pup's programs. Each
# program is copied to build/disk/NAME first, so that its name in the
# image (the last part of its path) is the one a command line uses.
TOOL_CFLAGS := -O2 -g $(WARN) -I$(G)/include
DISK_FILES = $(addprefix $(B)/disk/,$(USER_NAMES)) $(B)/disk/readme
disk: $(B)/guest/disk.img
$(B)/tools/mkpupfs: $(G)/tools/mkpupfs.c $(G)/include/pupfs.h $(G)/include/whelp_abi.h
	@mkdir -p $(@D)
	$(call quiet,CC,$@)$(CC) $(TOOL_CFLAGS) $< -o $@
$(B)/disk/%: $(B)/user/%.elf
	@mkdir -p $(@D)
	@cp $< $@
# Besides the programs, one text file for cat to show (chapter 18).
$(B)/disk/readme: Makefile
	@mkdir -p $(@D)
	@printf 'This is readme, a file of pupfs.\nls lists the disk; cat shows a file.\n' > $@
$(B)/guest/disk.img: $(B)/tools/mkpupfs $(DISK_FILES)
	@mkdir -p $(@D)
	$(call quiet,MKPUPFS,$@)$(B)/tools/mkpupfs $@ $(DISK_FILES)

# ---------------------------------------------------------------- tests
# Every unit test links the Launcher's library, compiled once into
# build/tests/unit/lib/ (a change to one chapter would otherwise compile
# every Launcher file again for every test: a lab's grader builds them all
# after each patch). A test of Host code also
# links the Host file it tests and the shim of kernel services it runs on:
# UNIT_LINK_<test> lists them (second expansion puts them among the
# prerequisites).
UNIT_LINK_check_shadow = $(G)/host/shadow.c $(G)/tests/unit/shim/shadow_env.c
UNIT_LINK_check_access = $(G)/host/shadow.c $(G)/tests/unit/shim/shadow_env.c
# The shadow tests once more, built for a PAE host's 8-byte entries
# (chapter "Shadow page tables"): the same file, with WHELP_PAE.
UNIT_TESTS += $(B)/tests/unit/check_shadow_pae
$(B)/tests/unit/check_shadow_pae: $(G)/tests/unit/check_shadow.c $(UNIT_LIB_OBJS) \
		$(wildcard $(G)/*/*.h $(G)/tests/unit/shim/*.h) $(UNIT_LINK_check_shadow)
	@mkdir -p $(@D)
	$(call quiet,CC,$@)$(CC) $(UNIT_CFLAGS) -DWHELP_PAE $< $(UNIT_LIB_OBJS) \
		$(UNIT_LINK_check_shadow) $(CHECK_LIBS) -o $@
# And every page-table permutation (chapter "Every page-table
# permutation") against the PAE shadow code, NX on and off.
UNIT_TESTS += $(B)/tests/unit/check_access_pae
$(B)/tests/unit/check_access_pae: $(G)/tests/unit/check_access.c $(UNIT_LIB_OBJS) \
		$(wildcard $(G)/*/*.h $(G)/tests/unit/shim/*.h) $(UNIT_LINK_check_access)
	@mkdir -p $(@D)
	$(call quiet,CC,$@)$(CC) $(UNIT_CFLAGS) -DWHELP_PAE $< $(UNIT_LIB_OBJS) \
		$(UNIT_LINK_check_access) $(CHECK_LIBS) -o $@
UNIT_LINK_check_kvm_exit = $(G)/launcher-kvm/kvm_exit.c $(G)/launcher-kvm/kvm_boot.c
# The pupfs test runs the real mkpupfs, and links pup's reader.
UNIT_LINK_check_pupfs = $(G)/guest/pup-fs.c
$(B)/tests/unit/check_pupfs: $(B)/tools/mkpupfs
$(B)/tests/unit/check_pupfs: UNIT_CFLAGS += -DMKPUPFS='"$(abspath $(B)/tools/mkpupfs)"'
UNIT_LIB_OBJS = $(patsubst $(G)/launcher/%.c,$(B)/tests/unit/lib/%.o,$(LAUNCHER_LIB_SRC))
$(B)/tests/unit/lib/%.o: $(G)/launcher/%.c $(wildcard $(G)/launcher/*.h $(G)/include/*.h)
	@mkdir -p $(@D)
	$(call quiet,CC,$@)$(CC) $(UNIT_CFLAGS) -c $< -o $@
unit-tests: $(UNIT_TESTS)
$(B)/tests/unit/%: $(G)/tests/unit/%.c $(UNIT_LIB_OBJS) \
		$(wildcard $(G)/*/*.h $(G)/tests/unit/shim/*.h) $$(UNIT_LINK_$$*)
	@mkdir -p $(@D)
	$(call quiet,CC,$@)$(CC) $(UNIT_CFLAGS) $< $(UNIT_LIB_OBJS) $(UNIT_LINK_$*) $(CHECK_LIBS) -o $@

# A lab's unit tests (tests/unit/lab_*.c) are built only when its grader
# asks; a lab's unit.mk says which Host files they link.
-include $(wildcard $(G)/labs/*/unit.mk)

$(B)/vm/tests/bin/%: $(G)/tests/vm/%.c $(G)/include/whelp_abi.h
	@mkdir -p $(@D)
	$(call quiet,CC,$@)$(CC) $(VM_CFLAGS) $< -o $@ -lpthread
# The same programs for the PAE host (device_abuse's small Guests tell INIT
# the number of levels of a PAE host's page tables).
# (From the sources, not VM_PROGS, to which a lab's unit.mk may add.)
VM_PROGS_PAE = $(patsubst $(G)/tests/vm/%.c,$(B)/vm-pae/tests/bin/%,$(wildcard $(G)/tests/vm/*.c))
$(B)/vm-pae/tests/bin/%: $(G)/tests/vm/%.c $(G)/include/whelp_abi.h
	@mkdir -p $(@D)
	$(call quiet,CC,$@)$(CC) $(VM_CFLAGS) -DWHELP_PAE $< -o $@ -lpthread

# ---------------------------------------------------------------- host VM
# Debian's KVM modules ride along for the KVM scenarios (kvm.ko needs
# irqbypass.ko); lib.inc's load_kvm loads them where the processor can.
KVM_MODULES = $(wildcard $(DEPS)/kernel/lib/modules/*/kernel/arch/x86/kvm/kvm*.ko \
	$(DEPS)/kernel/lib/modules/*/kernel/virt/lib/irqbypass.ko)
# One initramfs per host kernel: build/vm/initramfs.cpio.gz for the 686
# host, build/vm/initramfs-pae.cpio.gz for the 686-pae one, with that
# kernel's whelp.ko, its KVM modules, and the Guests and test programs
# built for its page tables, under the same paths (/guests/pup.elf ...).
KVM_MODULES_PAE = $(wildcard $(DEPS)/kernel-pae/lib/modules/*/kernel/arch/x86/kvm/kvm*.ko \
	$(DEPS)/kernel-pae/lib/modules/*/kernel/virt/lib/irqbypass.ko)
initramfs: $(B)/vm/initramfs.cpio.gz $(B)/vm/initramfs-pae.cpio.gz
$(B)/vm/initramfs.cpio.gz: tools/initramfs.sh tests/vm-init $(B)/host/whelp.ko \
		$(B)/launcher/whelp $(B)/launcher/whelp-kvm $(GUESTS) $(B)/guest/disk.img \
		$(VM_PROGS) $(VM_SCRIPTS) $(BUSYBOX) $(B)/guest-pae/pup.elf
	$(call quiet,CPIO,$@)tools/initramfs.sh $@ $(BUSYBOX) $(B)/host/whelp.ko $(B)/launcher/whelp \
		"$(GUESTS) $(B)/guest/disk.img" "$(VM_PROGS)" "$(VM_SCRIPTS)" $(B)/launcher/whelp-kvm "$(KVM_MODULES)" \
		$(B)/guest-pae/pup.elf
$(B)/vm/initramfs-pae.cpio.gz: tools/initramfs.sh tests/vm-init $(B)/host-pae/whelp.ko \
		$(B)/launcher/whelp $(B)/launcher/whelp-kvm $(GUESTS_PAE) $(B)/guest/disk.img \
		$(VM_PROGS_PAE) $(VM_SCRIPTS) $(BUSYBOX) $(B)/guest/pup.elf
	$(call quiet,CPIO,$@)tools/initramfs.sh $@ $(BUSYBOX) $(B)/host-pae/whelp.ko $(B)/launcher/whelp \
		"$(GUESTS_PAE) $(B)/guest/disk.img" "$(VM_PROGS_PAE)" "$(VM_SCRIPTS)" $(B)/launcher/whelp-kvm \
		"$(KVM_MODULES_PAE)" $(B)/guest/pup.elf

# KVM=1: the scenario is pup under KVM (chapter 24, "the road not taken").
ifeq ($(KVM),1)
SCENARIO := kvm
endif
run: deps
	@tests/run-vm.sh --check $(SCENARIO)
	@$(MAKE) -s all
	@tests/run-vm.sh --show $(SCENARIO)

shell: deps
	@$(MAKE) -s all
	@tests/run-vm.sh --shell

# pup's shell, psh, in a Guest in the host VM (chapter "pup's virtio
# drivers"): whelp --disk disk.img,ro pup.elf -- run psh on the VM's console.
shell-guest: deps
	@$(MAKE) -s all
	@tests/run-vm.sh --guest

# pup on bare (emulated) hardware: the same image, booted by QEMU's
# multiboot loader (chapter "One kernel, two machines").
CMDLINE ?= hello
run-native: guests
	@$(G)/tests/native/boot.sh --cpu $(CPU) --memory $(if $(filter command line environment,$(origin MEM)),$(MEM),32) -- $(CMDLINE)

# make qemu-gdb: the host VM waits for gdb on localhost:GDB_PORT, on one
# processor unless SMP is given; make gdb (in another terminal) attaches
# with the module's, the Switcher's and pup's symbols (chapter 2).
# Only these two get the port: any other VM (make check's, a grader's)
# would otherwise open it too, and two VMs cannot share it.
GDB_PORT ?= 1234
qemu-gdb: deps
	@$(MAKE) -s all
	@GDB_PORT=$(GDB_PORT) \
		SMP=$(if $(filter command line environment,$(origin SMP)),$(SMP),1) \
		tests/run-vm.sh --gdb

gdb:
	@GDB_PORT=$(GDB_PORT) tools/gdb.sh

# ---------------------------------------------------------------- checking
check: deps
	@$(MAKE) -s all
	@tests/check.sh

check-unit: unit-tests
	@tests/check.sh --unit-only

check-vm: all
	@tests/check.sh --vm-only

# ---------------------------------------------------------------- labs
# The course labs (chapter "Taking a lab"); tools/labs.sh does the work.
# A grader's VM has one processor unless SMP is given.
labs:
	@tools/labs.sh list

lab-start:
	@tools/labs.sh start "$(LAB)"

grade: deps
	@SMP=$(if $(filter command line environment,$(origin SMP)),$(SMP),1) \
		tools/labs.sh grade "$(LAB)"

check-labs: deps
	@$(MAKE) -s all
	@tools/labs.sh check $(LAB)

handout:
	@tools/labs.sh handout

lab-refresh:
	@tools/labs.sh refresh "$(LAB)"

# ---------------------------------------------------------------- fuzzing
# Each tests/fuzz/fuzz_NAME.c is a libFuzzer harness, built by clang with
# AddressSanitizer and UBSan into build/fuzz/fuzz_NAME together with the
# Launcher files FUZZ_LINK_fuzz_NAME lists.  make fuzz-NAME runs it for
# FUZZ_TIME seconds on FUZZ_JOBS processes; the corpus it grows stays in
# build/fuzz/corpus-NAME, a crashing input goes to build/fuzz/artifacts/.
FUZZ_CC := clang-14
FUZZ_CFLAGS := -g -O1 $(WARN) -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined -I$(G)/include -I$(G)/launcher
FUZZ_TIME ?= 600
FUZZ_JOBS ?= 2
FUZZERS = $(patsubst $(G)/tests/fuzz/%.c,$(B)/fuzz/%,$(wildcard $(G)/tests/fuzz/fuzz_*.c))
FUZZ_LINK_fuzz_elf_load = $(G)/launcher/elf_load.c
FUZZ_LINK_fuzz_options = $(G)/launcher/options.c
FUZZ_LINK_fuzz_mmio_decode = $(G)/launcher/mmio_decode.c
FUZZ_LINK_fuzz_virtio = $(G)/launcher/virtio_mmio.c $(G)/launcher/virtqueue.c \
	$(G)/launcher/virtio_rng.c
FUZZ_LINK_fuzz_blk = $(G)/launcher/virtio_mmio.c $(G)/launcher/virtqueue.c \
	$(G)/launcher/virtio_blk.c $(G)/launcher/disk.c
FUZZ_LINK_fuzz_pupfs = $(G)/guest/pup-fs.c

# fuzz_run HARNESS,NAME: every input of the corpus once, so that a seed
# that crashes stops the run with its report (fork mode would only save
# it), then the fuzzing proper.
fuzz_run = $(1) -runs=0 -artifact_prefix=$(B)/fuzz/artifacts/$(2)- \
		$(B)/fuzz/corpus-$(2) && \
	$(1) -fork=$(FUZZ_JOBS) -max_total_time=$(FUZZ_TIME) \
		-artifact_prefix=$(B)/fuzz/artifacts/$(2)- $(B)/fuzz/corpus-$(2)

fuzzers: $(FUZZERS)
$(B)/fuzz/%: $(G)/tests/fuzz/%.c $$(FUZZ_LINK_$$*) $(wildcard $(G)/*/*.h)
	@mkdir -p $(@D)
	$(call quiet,CC,$@)$(FUZZ_CC) $(FUZZ_CFLAGS) $< $(FUZZ_LINK_$*) -o $@

# make fuzz: the long fuzzers, all of them.
fuzz: fuzz-elf fuzz-options fuzz-mmio fuzz-virtio fuzz-blk fuzz-pupfs fuzz-hypercalls

# The ELF loader's seeds are the real images: the guests and pup's programs.
fuzz-elf: $(B)/fuzz/fuzz_elf_load $(GUESTS) $(USER_PROGS)
	@mkdir -p $(B)/fuzz/corpus-elf $(B)/fuzz/artifacts
	@cp $(GUESTS) $(USER_PROGS) $(B)/fuzz/corpus-elf/
	$(call fuzz_run,$<,elf)

# The options parser needs no seeds: libFuzzer learns its option names
# from the string comparisons it watches.
fuzz-options: $(B)/fuzz/fuzz_options
	@mkdir -p $(B)/fuzz/corpus-options $(B)/fuzz/artifacts
	$(call fuzz_run,$<,options)

# The MMIO decoder needs no seeds either.
fuzz-mmio: $(B)/fuzz/fuzz_mmio_decode
	@mkdir -p $(B)/fuzz/corpus-mmio $(B)/fuzz/artifacts
	$(call fuzz_run,$<,mmio)

# Nor does the virtio transport (chapter "The virtio-mmio transport").
fuzz-virtio: $(B)/fuzz/fuzz_virtio
	@mkdir -p $(B)/fuzz/corpus-virtio $(B)/fuzz/artifacts
	$(call fuzz_run,$<,virtio)

# The block device's harness (chapter "The disk") makes its own scratch
# disk and needs no seeds.
fuzz-blk: $(B)/fuzz/fuzz_blk
	@mkdir -p $(B)/fuzz/corpus-blk $(B)/fuzz/artifacts
	$(call fuzz_run,$<,blk)

# The pupfs reader's seeds are the real disk of pup's programs and a
# small image (an empty file, one byte, 600 bytes: five sectors), from
# which the fuzzer's inputs start short and fast.
$(B)/fuzz/pupfs-small.img: $(B)/tools/mkpupfs $(G)/include/pupfs.h
	@mkdir -p $(B)/fuzz/pupfs-seed
	@: > $(B)/fuzz/pupfs-seed/none
	@printf 1 > $(B)/fuzz/pupfs-seed/one
	@head -c 600 $(G)/include/pupfs.h > $(B)/fuzz/pupfs-seed/part
	$(call quiet,MKPUPFS,$@)$(B)/tools/mkpupfs $@ $(addprefix $(B)/fuzz/pupfs-seed/,none one part)
fuzz-pupfs: $(B)/fuzz/fuzz_pupfs $(B)/guest/disk.img $(B)/fuzz/pupfs-small.img
	@mkdir -p $(B)/fuzz/corpus-pupfs $(B)/fuzz/artifacts
	@cp $(B)/guest/disk.img $(B)/fuzz/pupfs-small.img $(B)/fuzz/corpus-pupfs/
	$(call fuzz_run,$<,pupfs)

# fuzz-hypercalls runs the fuzz scenario of
# chapter "Fuzzing the hypercalls" with a bound of FUZZ_CALLS hypercalls
# from seed FUZZ_SEED on; the VM and the scenario may take up to 10 ms a
# call, plus 10 minutes.
FUZZ_CALLS ?= 1000000
FUZZ_SEED ?= 1
fuzz-hypercalls: deps
	@$(MAKE) -s all
	@limit=$$(( $(FUZZ_CALLS) / 100 + 600 )); \
	VM_TIMEOUT=$$((limit + 60)) \
	VM_ARGS="whelp.fuzz_calls=$(FUZZ_CALLS) whelp.fuzz_seed=$(FUZZ_SEED) whelp.timeout=$$limit" \
		tests/run-vm.sh --show fuzz

# ---------------------------------------------------------------- benchmarks
# The chapter "Measuring it": BENCH_PAIRS pairs of runs, each pup natively
# (src-generated/tests/bench/native.sh, QEMU on this machine) and then the
# host VM with pup on Whelp, Linux, and pup under KVM where the processor
# has SVM or VT-x (the first also counts the exits), once for each host of
# BENCH_HOSTS in turn: on 686-pae the native pup is the PAE build
# (build/guest-pae/pup.elf), the host VM boots HOST=686-pae, whose
# initramfs has the PAE Guests, and there is no KVM column (686 only).
# Each console stays in build/bench/ (native-K.log and whelp-K.log for
# 686, native-pae-K.log and whelp-pae-K.log for 686-pae), and
# tests/bench/report.sh prints the table and writes build/bench/results.dat.
# The host VM has one processor unless SMP is given, as the native machine
# has. A scenario of make bench may run 15 minutes (the default 5 is too
# few on a busy machine), the VM 40. BENCH_SCALE (10) is pupbench's scale:
# BENCH_SCALE=1 BENCH_PAIRS=1 is a quick run that only shows the path
# works. The Guests' throughput runs once, on the first host.
BENCH_PAIRS ?= 3
BENCH_HOSTS ?= 686 686-pae
BENCH_SCALE ?= 10
bench: deps
	@for h in $(BENCH_HOSTS); do case $$h in 686|686-pae) ;; \
		*) echo "bench: BENCH_HOSTS has '$$h', not 686 or 686-pae"; exit 2 ;; \
		esac; done
	@$(MAKE) -s all
	@rm -rf $(B)/bench && mkdir -p $(B)/bench
	@export SMP=$(if $(filter command line environment,$(origin SMP)),$(SMP),1); \
	export VM_TIMEOUT=2400 VM_ARGS="$(VM_ARGS) whelp.timeout=900 bench_scale=$(BENCH_SCALE)"; \
	export bench_scale=$(BENCH_SCALE); \
	for i in $$(seq $(BENCH_PAIRS)); do \
	for h in $(BENCH_HOSTS); do \
		if [ $$h = 686-pae ]; then s=-pae pup=$(B)/guest-pae/pup.elf; \
		else s= pup=$(B)/guest/pup.elf; fi; \
		echo "bench: pair $$i of $(BENCH_PAIRS), host $$h: pup natively"; \
		PUP_ELF=$$pup $(G)/tests/bench/native.sh > $(B)/bench/native$$s-$$i.log 2>&1 || \
			echo "bench: native pup failed: see $(B)/bench/native$$s-$$i.log"; \
		echo "bench: pair $$i of $(BENCH_PAIRS), host $$h: pup on Whelp (and under KVM), and Linux"; \
		HOST=$$h tests/run-vm.sh --show bench$$([ $$i -gt 1 ] || echo ,bench-exits) \
			> $(B)/bench/whelp$$s-$$i.log 2>&1 || \
			{ echo "bench: the host VM's run failed: see $(B)/bench/whelp$$s-$$i.log"; \
			  exit 1; }; \
	done; \
	done; \
	h=$(firstword $(BENCH_HOSTS)); s=$$([ $$h = 686 ] || echo -pae); \
	echo "bench: 1, 2, 4 and 8 Guests at once, on two processors, host $$h"; \
	HOST=$$h SMP=2 tests/run-vm.sh --show bench-guests > $(B)/bench/whelp$$s-guests.log 2>&1 || \
		echo "bench: the Guests' throughput failed: see $(B)/bench/whelp$$s-guests.log"; \
	$(G)/tests/bench/report.sh $(B)/bench | tee $(B)/bench/table.txt
	@echo "bench: wrote $(B)/bench/results.dat"

# ---------------------------------------------------------------- the book
book: $(B)/book/whelp.pdf
$(B)/book/whelp.pdf: $(wildcard chapters/*.nw) $(wildcard book/*) $(wildcard figures/*)
	@book/weave.sh

# The HTML edition (book/html.sh): build/book/html/index.html.
.PHONY: html
html: $(B)/book/html/index.html
$(B)/book/html/index.html: $(wildcard chapters/*.nw) \
		$(wildcard book/* book/html/*) $(wildcard figures/*) tangle/manifest
	@book/html.sh

clean:
	rm -rf $(B)/host $(B)/host-pae $(B)/launcher $(B)/guest $(B)/guest-pae $(B)/tests $(B)/vm \
		$(B)/vm-pae $(B)/book $(B)/tools $(B)/disk

distclean:
	rm -rf $(B)
