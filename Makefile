# pprofweb build. `make` builds build/pprofweb; `make test` runs every test; `make run` serves a
# bundled profile; `make bench` times pprofweb (and go tool pprof when installed) on large inputs.

CC ?= cc
# Linked libraries, and those loaded when first used (dynlib.h: a report run from the command
# line needs no HTTP server, fetcher, database client or hash, nor the thirty libraries they
# bring). A loaded one is opened by the soname its development package links to
# ($(B)/gen/sonames.h).
PKGS := libprotobuf-c zlib libdeflate libpcre2-8
LOADED_PKGS := libmicrohttpd libcurl libpq libcrypto libgvc libcgraph
# Debian packages that provide the build and test dependencies (installed by `make deps`).
DEB_PKGS := build-essential pkg-config protobuf-c-compiler libprotobuf-c-dev zlib1g-dev libdeflate-dev \
	libmicrohttpd-dev libgraphviz-dev libpcre2-dev libcurl4-openssl-dev libssl-dev libiberty-dev \
	libpq-dev
DEB_TEST_PKGS := chromium curl python3 golang-go time bc postgresql apache2-utils

OPT ?= -O2
CFLAGS ?= $(OPT) -g
WARN := -std=c11 -Wall -Wextra -Werror -Wno-unused-parameter -Wno-format-truncation -Wshadow -Wvla
CPPFLAGS += -D_GNU_SOURCE -Iinclude -I$(B)/gen \
	$(shell pkg-config --cflags $(PKGS) $(LOADED_PKGS) 2>/dev/null)
LDLIBS += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -liberty -lm -lpthread -ldl

B := build
LIB_SRCS := $(filter-out server/main.c,$(wildcard server/*.c))
LIB_OBJS := $(patsubst server/%.c,$(B)/obj/%.o,$(LIB_SRCS)) $(B)/obj/profile.pb-c.o $(B)/obj/assets.o
WEB_FILES := $(sort $(wildcard web/*))
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRCS))
DESTDIR ?=
PREFIX ?= /usr/local

# A recipe that fails leaves no half-written target behind to be taken as up to date next time.
.DELETE_ON_ERROR:

.PHONY: all deps test-deps run test test-asan unit conformance http browser bench fuzz install \
	clean
all: $(B)/pprofweb

$(B)/gen/profile.pb-c.c $(B)/gen/profile.pb-c.h: server/proto/profile.proto
	@mkdir -p $(B)/gen
	protoc-c --c_out=$(B)/gen -Iserver/proto server/proto/profile.proto

$(B)/gen/sonames.h: Makefile
	@mkdir -p $(B)/gen
	@for p in $(LOADED_PKGS); do \
		n=$$(objdump -p "$$(pkg-config --variable=libdir $$p)/$$p.so" | awk '$$1 == "SONAME" { print $$2 }'); \
		[ -n "$$n" ] || { echo "no soname for $$p: is its -dev package installed?" >&2; exit 1; }; \
		echo "#define PW_SONAME_$$(echo $${p#lib} | tr a-z A-Z) \"$$n\""; \
	done > $@

$(B)/embed: server/embed/embed.c
	@mkdir -p $(B)
	$(CC) -O1 -std=c11 -Wall -Wextra -Werror -o $@ $<

$(B)/gen/assets.c: $(B)/embed $(WEB_FILES)
	@mkdir -p $(B)/gen
	$(B)/embed $@ $(WEB_FILES)

$(B)/obj/profile.pb-c.o: $(B)/gen/profile.pb-c.c
	@mkdir -p $(B)/obj
	$(CC) $(CPPFLAGS) $(CFLAGS) -std=c11 -w -c -o $@ $<

$(B)/obj/assets.o: $(B)/gen/assets.c
	@mkdir -p $(B)/obj
	$(CC) $(CPPFLAGS) $(CFLAGS) -std=c11 -w -c -o $@ $<

$(B)/obj/%.o: server/%.c $(B)/gen/profile.pb-c.h $(B)/gen/sonames.h $(wildcard include/pprofweb/*.h)
	@mkdir -p $(B)/obj
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -c -o $@ $<

$(B)/libpprofweb.a: $(LIB_OBJS)
	rm -f $@
	ar rcs $@ $^

$(B)/pprofweb: server/main.c $(B)/libpprofweb.a
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -o $@ $< $(B)/libpprofweb.a $(LDLIBS)

$(B)/tests/%: tests/unit/%.c tests/unit/harness.h $(B)/libpprofweb.a
	@mkdir -p $(B)/tests
	$(CC) $(CPPFLAGS) -Itests/unit $(CFLAGS) $(WARN) -o $@ $< $(B)/libpprofweb.a $(LDLIBS)

# Installs the Debian packages the build needs, when any is missing (run as root on Debian).
deps:
	@missing=$$(for p in $(DEB_PKGS); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then echo "installing:" $$missing; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; fi

# Adds what the browser tests need: Chromium and playwright-core.
test-deps: deps
	@missing=$$(for p in $(DEB_TEST_PKGS); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then echo "installing:" $$missing; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; fi
	@# Node.js may come from Debian (nodejs + npm) or elsewhere (npm bundled): check the commands.
	@command -v node > /dev/null && command -v npm > /dev/null || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm; }
	@cd tests/browser && [ -d node_modules/playwright-core ] || npm install --no-audit --no-fund --silent

RUN_PROFILE ?= testdata/profiles/shop.heap-t1.pb.gz
run: deps
	$(MAKE) all
	$(B)/pprofweb -http=:8081 $(RUN_PROFILE)

test: test-deps
	$(MAKE) all unit-bins
	tests/run_all.sh

unit-bins: $(UNIT_BINS)

# The whole suite against a copy built with AddressSanitizer and UndefinedBehaviorSanitizer in
# build-asan/: every finding (also a leak at exit, or undefined behaviour that did not crash) is
# written under build-asan/logs/ and counts as a failure. Clang: its UBSan writes to log_path.
ASAN_CFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize=alignment
test-asan: test-deps
	$(MAKE) B=build-asan CC=clang CFLAGS="$(ASAN_CFLAGS)" \
		WARN="$(WARN) -Wno-unknown-warning-option" all unit-bins
	tests/asan.sh build-asan

unit: $(UNIT_BINS)
	tests/unit/run.sh $(UNIT_BINS)

conformance: all
	tests/conformance/run.sh

fuzz: all
	tests/fuzz/run.sh

bench: test-deps
	$(MAKE) all
	bench/run.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 $(B)/pprofweb $(DESTDIR)$(PREFIX)/bin/pprofweb

clean:
	rm -rf $(B) build-asan
