# corral: see README.md.  `make` builds build/corral; `make test` installs
# what it needs (apt-get), builds, and runs every test.

CC ?= cc
PKG_CONFIG ?= pkg-config
PREFIX ?= /usr/local
DESTDIR ?=
BUILD ?= build
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

PKGS := libmnl libnftnl libseccomp libip4tc libip6tc libipset
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)

WARNINGS := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wmissing-prototypes \
	-Wstrict-prototypes -Wpointer-arith -Wcast-qual -Wundef -Wvla
HARDENING := -D_FORTIFY_SOURCE=2 -fstack-protector-strong \
	-fstack-clash-protection -fPIE
HARDENING_LD := -pie -Wl,-z,relro,-z,now -Wl,-z,noexecstack
OPT ?= -O2

ifeq ($(SAN),1)
HARDENING := -fPIE
OPT := -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=all
HARDENING_LD += -fsanitize=address,undefined
endif

CPPFLAGS += -D_GNU_SOURCE -DCORRAL_VERSION='"$(VERSION)"'
CFLAGS += -std=c11 -g $(OPT) $(WARNINGS) $(HARDENING) $(PKG_CFLAGS)
LDFLAGS += $(HARDENING_LD)
LDLIBS += $(PKG_LIBS)

LIB_SRCS := $(wildcard common/*.c firewall/*.c init/*.c sandbox/*.c)
LIB_SRCS := $(filter-out common/main.c,$(LIB_SRCS))
LIB_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(LIB_SRCS))
MAIN_OBJ := $(BUILD)/obj/common/main.o
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
# Small programs the integration tests run (tests/helpers/NAME.c ->
# $(BUILD)/helpers/NAME), e.g. one that tries a syscall and prints the errno.
HELPER_SRCS := $(wildcard tests/helpers/*.c)
HELPER_BINS := $(patsubst tests/helpers/%.c,$(BUILD)/helpers/%,$(HELPER_SRCS))

.PHONY: all install uninstall test check unit asan demo bench fuzz clean format lint deps up

all: $(BUILD)/corral

$(BUILD)/corral: $(MAIN_OBJ) $(BUILD)/libcorral.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/libcorral.a: $(LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c tests/unit/tap.h $(BUILD)/libcorral.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libcorral.a $(LDLIBS)

$(BUILD)/helpers/%: tests/helpers/%.c $(BUILD)/libcorral.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libcorral.a $(LDLIBS)

unit: $(UNIT_BINS) $(HELPER_BINS)

install: $(BUILD)/corral
	install -d $(DESTDIR)$(PREFIX)/sbin
	install -m 0755 $(BUILD)/corral $(DESTDIR)$(PREFIX)/sbin/corral

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/sbin/corral

deps:
	./scripts/install-deps

# The one command CI runs: dependencies, build, every test, one summary line.
# Besides the unit and integration tests it builds everything with clang,
# reruns the unit tests under ASan+UBSan, and runs a short fuzz smoke.
test:
	./scripts/install-deps
	$(MAKE) all unit
	$(MAKE) BUILD=$(BUILD)/clang CC=clang all unit
	$(MAKE) BUILD=$(BUILD)/asan SAN=1 all unit
	CORRAL_SAN_BUILD=$(BUILD)/asan CORRAL_FUZZ_SECONDS=$(FUZZ_SMOKE_SECONDS) \
		./tests/run $(BUILD)

check: all unit
	./tests/run $(BUILD)

asan:
	./scripts/install-deps
	$(MAKE) BUILD=build/asan SAN=1 all unit
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	./tests/run build/asan

demo: all
	./scripts/demo $(BUILD)/corral

# The secure dev container for this folder, started with the Dev Containers
# CLI (installed from npm into build/devcontainer/ the first time); prints
# how to open a shell.  BASE_IMAGE=IMAGE overrides Dockerfile.secure's
# ubuntu:24.04; PROFILE=default picks the everyday profile.  See scripts/up.
up:
	BASE_IMAGE="$(BASE_IMAGE)" PROFILE="$(PROFILE)" ./scripts/up

bench: all
	./bench/run $(BUILD)/corral
	./bench/dns $(BUILD)/corral
	./bench/dns_scope $(BUILD)/corral
	./bench/init $(BUILD)/corral
	./bench/sandbox $(BUILD)/corral
	./bench/backend $(BUILD)/corral

format:
	clang-format -i $(wildcard */*.c */*.h tests/unit/*.c tests/unit/*.h)

lint:
	shellcheck -x scripts/* tests/run tests/world/*.bash tests/e2e/*.bash bench/run bench/dns bench/dns_scope bench/init bench/sandbox bench/backend .ci/run

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

# ---- fuzz: the DNS parser under libFuzzer (tests/fuzz/) -------------------
# `make fuzz` builds $(BUILD)/fuzz/fuzz_dns_msg (the parser) and
# $(BUILD)/fuzz/fuzz_dns_answer (what the forwarder takes from an answer
# and the reply it rebuilds), $(BUILD)/fuzz/fuzz_nflog (the blocked
# packets init reads from NFLOG) and $(BUILD)/fuzz/fuzz_sock_diag (the
# kernel's sock_diag dump, for corral's own cgroup) with clang and runs each for FUZZ_SECONDS on a
# copy of its seed corpus (the copies grow; the seeds in tests/fuzz/corpus/
# stay as they are; fuzz_dns_answer starts from both seed sets).  Crashes
# land in $(BUILD)/fuzz/.
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 15
FUZZ_CC ?= clang
FUZZ_FLAGS := -std=c11 -g -O1 -D_GNU_SOURCE $(WARNINGS) \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_ANSWER_SRCS := firewall/dns_answer.c firewall/dns_msg.c firewall/rebind.c

$(BUILD)/fuzz/fuzz_dns_msg: tests/fuzz/fuzz_dns_msg.c firewall/dns_msg.c firewall/dns_msg.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ tests/fuzz/fuzz_dns_msg.c firewall/dns_msg.c

$(BUILD)/fuzz/fuzz_dns_answer: tests/fuzz/fuzz_dns_answer.c $(FUZZ_ANSWER_SRCS) \
		firewall/dns_answer.h firewall/dns_msg.h firewall/rebind.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ tests/fuzz/fuzz_dns_answer.c $(FUZZ_ANSWER_SRCS)

$(BUILD)/fuzz/fuzz_nflog: tests/fuzz/fuzz_nflog.c firewall/nflog.c firewall/nflog.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ tests/fuzz/fuzz_nflog.c firewall/nflog.c

$(BUILD)/fuzz/fuzz_sock_diag: tests/fuzz/fuzz_sock_diag.c firewall/sock_diag.c firewall/sock_diag.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ tests/fuzz/fuzz_sock_diag.c firewall/sock_diag.c -lmnl

fuzz: $(BUILD)/fuzz/fuzz_dns_msg $(BUILD)/fuzz/fuzz_dns_answer $(BUILD)/fuzz/fuzz_nflog \
		$(BUILD)/fuzz/fuzz_sock_diag
	rm -rf $(BUILD)/fuzz/corpus $(BUILD)/fuzz/corpus_answer $(BUILD)/fuzz/corpus_nflog \
		$(BUILD)/fuzz/corpus_sock_diag
	mkdir -p $(BUILD)/fuzz/corpus $(BUILD)/fuzz/corpus_answer $(BUILD)/fuzz/corpus_nflog \
		$(BUILD)/fuzz/corpus_sock_diag
	cp tests/fuzz/corpus/nflog/* $(BUILD)/fuzz/corpus_nflog/
	cp tests/fuzz/corpus/sock_diag/* $(BUILD)/fuzz/corpus_sock_diag/
	cp tests/fuzz/corpus/dns_msg/* $(BUILD)/fuzz/corpus/
	cp tests/fuzz/corpus/dns_msg/* tests/fuzz/corpus/dns_answer/* \
		$(BUILD)/fuzz/corpus_answer/
	cd $(BUILD)/fuzz && ./fuzz_dns_msg -max_total_time=$(FUZZ_SECONDS) \
		-print_final_stats=1 corpus
	cd $(BUILD)/fuzz && ./fuzz_dns_answer -max_total_time=$(FUZZ_SECONDS) \
		-print_final_stats=1 corpus_answer
	cd $(BUILD)/fuzz && ./fuzz_nflog -max_total_time=$(FUZZ_SECONDS) \
		-print_final_stats=1 corpus_nflog
	cd $(BUILD)/fuzz && ./fuzz_sock_diag -max_total_time=$(FUZZ_SECONDS) \
		-print_final_stats=1 corpus_sock_diag
# ---- end fuzz --------------------------------------------------------------
