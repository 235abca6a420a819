# reapwatch — how processes die on Linux hosts and in containers.
#
#   make            build ./reapwatch
#   make run        build and start `reapwatch trace` on this host
#   make test       build and run every test (unit, then integration as root)
#   make unit       unit tests only
#   make sanitize   unit tests and a short trace/export/zombies storm under ASan+UBSan
#                   (build/sanitize/; run by make test)
#   make test-kernels  the kernel suite on Debian's 5.10, 6.1, 6.1-cloud, 6.12, 7.x, 7.x-rt, sid's 7.x
#                      (QEMU) and on this host
#   make bench      fork/exit and signal storms with and without the agent, then `make startup`
#                   and `make soak`
#   make soak       export under a churn of 10 000 host cgroups and 2 000 containers: RSS,
#                   CPU, map entries and series before and after (tools/soak.sh --help)
#   make startup    the agent's time to start (exec to "tracing"), and where it goes
#   make stack      the BPF stack table: each entry program's frame and deepest call chain
#   make vmlinux    regenerate the committed vmlinux.h from this kernel's BTF
#   make static     ./reapwatch-static: no shared libraries at all (for scratch images)
#   make image      the container image of deploy/Containerfile, with buildah
#   make install    the binary to $(PREFIX)/sbin and reapwatch(8) to $(PREFIX)/share/man/man8
#                   (PREFIX=/usr/local; DESTDIR=... installs under a staging root)
#   make test-fresh make, install, static and image on fresh debootstrap roots of Debian
#                   12 and 13 (root)
#   make V=1 ...    show the commands
#
# All build output goes under $(OUT)/. Missing Debian packages are installed by
# tools/install-deps.sh (as root) before the first build: only the build's for make, run
# and static; buildah too for image; everything the tests use for unit and test.

OUT       ?= build
CLANG     ?= clang
BPFTOOL   ?= bpftool
CC        ?= gcc
ARCH      := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/;s/ppc64le/powerpc/;s/s390x/s390/')
VERSION   := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
GIT_REV   := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
# Bytes of BPF stack an entry program may use with its deepest chain of calls and bpf_loop
# callbacks (tools/bpf-stack-budget.sh); the kernel's limit is 512, and older kernels round
# every frame up to 32 bytes.
BPF_STACK_BUDGET ?= 384

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
MAKEFLAGS += --no-print-directory
endif

WARN      := -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter -Wformat=2
CFLAGS    ?= -O2 -g
ALL_CFLAGS := $(CFLAGS) $(WARN) -std=gnu11 -D_GNU_SOURCE -fno-strict-aliasing -Iinclude -Isrc -I$(OUT) \
	      -DREAPWATCH_VERSION='"$(VERSION)"' -DREAPWATCH_GIT_REV='"$(GIT_REV)"'
LDLIBS    := -lbpf -lelf -lz

# The BPF compile gets clang's view of the system include dirs, so that
# <bpf/bpf_helpers.h> and friends resolve as they do for the host compiler.
CLANG_BPF_SYS_INCLUDES := $(shell $(CLANG) -v -E - </dev/null 2>&1 \
	| sed -n '/<...> search starts here:/,/End of search list./{ s| \(/.*\)|-idirafter \1|p }')
BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) -Wall -Werror -I. -Iinclude -Ibpf \
	      $(CLANG_BPF_SYS_INCLUDES)

# Pure modules: no BPF, no /proc. Unit tests link against exactly these.
PURE      := json escape signames cgroup_path timefmt event args filter kube procfs load_log health \
	     render_json render_text render_zombies \
	     metrics prom outq procs_slots
PURE_OBJS := $(patsubst %,$(OUT)/src/%.o,$(PURE))
SRCS      := $(wildcard src/*.c)
OBJS      := $(patsubst src/%.c,$(OUT)/src/%.o,$(SRCS))
BPF_SRCS  := $(wildcard bpf/*.bpf.c)
SKELS     := $(patsubst bpf/%.bpf.c,$(OUT)/%.skel.h,$(BPF_SRCS))
# Header dependencies come from the compilers (-MMD -MP): each object is rebuilt when a
# header it includes changes, and only then.
DEPFLAGS   = -MMD -MP -MF $(@:%=%.d)

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUT)/tests/unit/%,$(UNIT_SRCS))
SCEN_SRCS := $(wildcard tests/scenarios/*.c)
SCEN_BINS := $(patsubst tests/scenarios/%.c,$(OUT)/tests/scenarios/%,$(SCEN_SRCS))
# The same programs linked statically, for the initramfs of `make test-kernels`' VMs.
SCEN_STATIC_BINS := $(patsubst tests/scenarios/%.c,$(OUT)/tests/scenarios-static/%,$(SCEN_SRCS))

MAN_PAGE   := $(OUT)/reapwatch.8
# One stamp per tools/install-deps.sh mode; each mode includes the one before it.
DEPS_STAMP := $(OUT)/.deps-build
DEPS_IMAGE := $(OUT)/.deps-image
DEPS_TEST  := $(OUT)/.deps-test

.DELETE_ON_ERROR:
# The BPF objects are kept, not treated as intermediates. (Only them: a bare `.SECONDARY:`
# makes every target secondary, and make then skips remaking a deleted object whose
# binary is newer than its sources, linking whatever stale object is left next to it.)
.SECONDARY: $(patsubst bpf/%.bpf.c,$(OUT)/%.bpf.o,$(BPF_SRCS))
.PHONY: all run test unit integration bench soak vmlinux clean deps scenarios scenarios-static format
.PHONY: static image test-kernels stack startup man install uninstall test-fresh sanitize

all: reapwatch $(MAN_PAGE)

# --- dependencies -----------------------------------------------------------
$(OUT)/.deps-%: tools/install-deps.sh
	$(Q)mkdir -p $(@D)
	$(Q)tools/install-deps.sh --$*
	$(Q)touch $@
# In order, never two apt-gets at once under make -j.
$(DEPS_IMAGE): $(DEPS_STAMP)
$(DEPS_TEST): $(DEPS_IMAGE)

deps: $(DEPS_TEST)

# --- kernel side: bpf/*.bpf.c -> .bpf.o -> .skel.h ----------------------------
$(OUT)/%.bpf.o: bpf/%.bpf.c | $(DEPS_STAMP)
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) $(DEPFLAGS) -c $< -o $@
	$(Q)llvm-strip -g $@

# The stack check runs before the skeleton: over the budget, no skeleton and no build (the
# object stays for a look; the next make checks it again).
$(OUT)/%.skel.h: $(OUT)/%.bpf.o tools/bpf-stack-budget.sh
	$(call msg,STACK,$<)
	$(Q)tools/bpf-stack-budget.sh -b $(BPF_STACK_BUDGET) $(if $(Q),,-v) $<
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf > $@

# --- userspace ----------------------------------------------------------------
# The skeletons are generated headers: made before any compile (order-only); an object that
# includes one depends on it through its .d file from then on.
$(OUT)/src/%.o: src/%.c | $(SKELS) $(DEPS_STAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -c $< -o $@

# The commit `reapwatch --version` names is compiled into main.o: a stamp looked at on every
# run and rewritten only when HEAD has moved makes main.o (and so the binaries) follow it.
GIT_REV_STAMP := $(OUT)/git-rev
$(GIT_REV_STAMP): FORCE
	$(Q)mkdir -p $(@D)
	$(Q)[ "$$(cat $@ 2>/dev/null)" = "$(GIT_REV)" ] || echo "$(GIT_REV)" >$@
$(OUT)/src/main.o $(OUT)/sanitize/src/main.o: $(GIT_REV_STAMP)
.PHONY: FORCE
FORCE:

reapwatch: $(OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $^ $(LDLIBS) -o $@

# --- deployment: static binary and container image ----------------------------
# libbpf's static link line (libelf, zlib, and whatever this libelf was built with), asked
# when the recipe runs, so pkg-config is there on a fresh machine.
STATIC_LDLIBS = $(shell pkg-config --static --libs libbpf 2>/dev/null || echo $(LDLIBS))
IMAGE     ?= localhost/reapwatch:$(VERSION)
IMAGE_SOURCE = $(shell git remote get-url origin 2>/dev/null)

# elfutils 0.192's libelf.a (Debian 13) leaves eu_search_tree_init/_fini undefined (they are
# in a library it does not ship): src/static/elfutils_shim.c has them, linked in only when
# nm says this libelf.a calls them and defines neither.
STATIC_SHIM := $(OUT)/static/elfutils_shim.o
STATIC_SHIM_NEEDED = nm -A "$$($(CC) -print-file-name=libelf.a)" 2>/dev/null | awk \
	'$$NF == "eu_search_tree_init" { if ($$(NF-1) == "U") u = 1; else d = 1 } END { exit !(u && !d) }'

static: reapwatch-static

$(STATIC_SHIM): src/static/elfutils_shim.c | $(DEPS_STAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -c $< -o $@

reapwatch-static: $(OBJS) $(STATIC_SHIM)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -static $(OBJS) $$($(STATIC_SHIM_NEEDED) && echo $(STATIC_SHIM)) \
		$(STATIC_LDLIBS) -o $@

# FROM scratch: nothing to pull. --isolation chroot: no daemon and no user namespace needed.
image: reapwatch-static deploy/Containerfile | $(DEPS_IMAGE)
	$(call msg,IMAGE,$(IMAGE))
	$(Q)buildah build --isolation chroot --layers=false --quiet \
		--build-arg VERSION=$(VERSION) --build-arg REVISION=$(GIT_REV) \
		$(if $(IMAGE_SOURCE),--build-arg SOURCE=$(IMAGE_SOURCE)) \
		-f deploy/Containerfile -t $(IMAGE) . $(if $(Q),>/dev/null)

# --- the manual page and make install -------------------------------------------
# reapwatch(8) is made from docs/reapwatch.md, the one source of the reference.
PREFIX    ?= /usr/local
SBINDIR   ?= $(PREFIX)/sbin
MANDIR    ?= $(PREFIX)/share/man
DOC_DATE   = $(shell git log -1 --format=%cs -- docs/reapwatch.md 2>/dev/null)

man: $(MAN_PAGE)

$(MAN_PAGE): docs/reapwatch.md tools/md2man VERSION
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)perl tools/md2man --version $(VERSION) --date "$(DOC_DATE)" <$< >$@

install: reapwatch $(MAN_PAGE)
	$(call msg,INSTALL,$(DESTDIR)$(SBINDIR)/reapwatch $(DESTDIR)$(MANDIR)/man8/reapwatch.8)
	$(Q)install -D -m 755 reapwatch $(DESTDIR)$(SBINDIR)/reapwatch
	$(Q)install -D -m 644 $(MAN_PAGE) $(DESTDIR)$(MANDIR)/man8/reapwatch.8

uninstall:
	$(Q)rm -f $(DESTDIR)$(SBINDIR)/reapwatch $(DESTDIR)$(MANDIR)/man8/reapwatch.8

# --- tests --------------------------------------------------------------------
$(OUT)/tests/unit/%: tests/unit/%.c $(PURE_OBJS) | $(DEPS_TEST)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -Itests/unit $< $(PURE_OBJS) -lcmocka -o $@

$(OUT)/tests/scenarios/%: tests/scenarios/%.c | $(DEPS_STAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE -pthread $(DEPFLAGS) -Itests/scenarios $< -o $@

scenarios: $(SCEN_BINS)

$(OUT)/tests/scenarios-static/%: tests/scenarios/%.c | $(DEPS_STAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE -pthread -static $(DEPFLAGS) -Itests/scenarios $< -o $@

scenarios-static: $(SCEN_STATIC_BINS)

unit: $(UNIT_BINS)
	$(Q)tools/run-tests.sh --unit $(UNIT_BINS)

integration: reapwatch $(SCEN_BINS) | $(DEPS_TEST)
	$(Q)tools/run-tests.sh --integration

test: reapwatch $(UNIT_BINS) $(SCEN_BINS) sanitize | $(DEPS_TEST)
	$(Q)tools/run-tests.sh --unit $(UNIT_BINS) --integration

# --- make sanitize: the same sources under ASan and UBSan ------------------------------
# Its own objects and binaries under $(SAN_OUT), so ./reapwatch and $(OUT)/src stay as they
# are; the BPF skeletons are the ordinary build's.
SAN_OUT    := $(OUT)/sanitize
SAN_FLAGS  := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
	      -fno-sanitize-recover=undefined
SAN_CFLAGS := $(SAN_FLAGS) $(filter-out -O2 -g,$(ALL_CFLAGS))
SAN_OBJS   := $(patsubst src/%.c,$(SAN_OUT)/src/%.o,$(SRCS))
SAN_PURE   := $(patsubst %,$(SAN_OUT)/src/%.o,$(PURE))
SAN_UNIT   := $(patsubst tests/unit/%.c,$(SAN_OUT)/tests/unit/%,$(UNIT_SRCS))

$(SAN_OUT)/src/%.o: src/%.c | $(SKELS) $(DEPS_STAMP)
	$(call msg,CC-SAN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(SAN_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(SAN_OUT)/reapwatch: $(SAN_OBJS)
	$(call msg,LINK-SAN,$@)
	$(Q)$(CC) $(SAN_CFLAGS) $^ $(LDLIBS) -o $@

$(SAN_OUT)/tests/unit/%: tests/unit/%.c $(SAN_PURE) tests/unit/unit.h | $(DEPS_TEST)
	$(call msg,CC-SAN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(SAN_CFLAGS) -Itests/unit $< $(SAN_PURE) -lcmocka -o $@

sanitize: $(SAN_OUT)/reapwatch $(SAN_UNIT) $(OUT)/tests/scenarios/soak \
	  $(OUT)/tests/scenarios/zombies | $(DEPS_TEST)
	$(Q)tools/sanitize.sh $(SAN_OUT)

# Kernels are fetched into a cache outside the repository (tools/fetch-kernels.sh).
test-kernels: reapwatch-static $(SCEN_STATIC_BINS) | $(DEPS_TEST)
	$(Q)tools/test-kernels.sh

# Debian 12 and 13 roots from debootstrap: make, install, static and image there (root).
test-fresh: | $(DEPS_TEST)
	$(Q)tools/test-fresh.sh

run: reapwatch
	./reapwatch trace

bench: reapwatch
	$(Q)tools/bench.sh

soak: reapwatch
	$(Q)tools/soak.sh

startup: reapwatch
	$(Q)tools/startup-time.sh

stack: $(patsubst bpf/%.bpf.c,$(OUT)/%.bpf.o,$(BPF_SRCS))
	$(Q)tools/bpf-stack-budget.sh -b $(BPF_STACK_BUDGET) -v $^

vmlinux:
	$(call msg,GEN,vmlinux.h)
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > vmlinux.h

format:
	$(Q)clang-format -i src/*.c src/*.h include/*.h bpf/*.c bpf/*.h tests/unit/*.c tests/scenarios/*.c

clean:
	$(call msg,CLEAN,)
	$(Q)rm -rf $(OUT) reapwatch reapwatch-static

-include $(shell find $(OUT) -name '*.d' 2>/dev/null)
