# attls: application-transparent TLS for Linux.
# make | make test | make demo | make install (PREFIX, DESTDIR)

PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib/attls
BINDIR ?= $(PREFIX)/bin
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/attls
PKGCONFIGDIR ?= $(PREFIX)/lib/pkgconfig
# systemd-tmpfiles reads /usr/local/lib/tmpfiles.d and /usr/lib/tmpfiles.d.
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
# The library's default policy is /etc/attls/attls.ini, whatever PREFIX.
SYSCONFDIR ?= /etc
B := build
# One version, debian/changelog's (the package's and attls --version's).
VERSION := $(shell head -1 debian/changelog | tr -d '()' | cut -d' ' -f2)

CC ?= cc
# wolfSSL from Debian's source package, built for attls (wolfssl/build).
WOLF := $(B)/wolfssl
WOLF_A := $(WOLF)/inst/lib/libwolfssl.a
# The Debian revision built in (for attls --version), read when compiling.
WOLF_DEBIAN = $(shell cat $(WOLF)/VERSION 2>/dev/null)
CPPFLAGS += -D_GNU_SOURCE -I$(WOLF)/inst/include -DATTLS_LIBDIR='"$(LIBDIR)"' \
	    -DATTLS_VERSION='"$(VERSION)"' \
	    -DATTLS_WOLFSSL_DEBIAN='"$(WOLF_DEBIAN)"'
CFLAGS ?= -O2 -g
CFLAGS += -std=c11 -Wall -Wextra -Werror -fPIC -fvisibility=hidden -pthread \
	  -ffunction-sections
LDLIBS_LIB := -linih -ldl -pthread -lm

LIB_SRC := $(wildcard lib/*.c)
SHIM_SRC := $(wildcard shim/*.c)
TOOL_SRC := $(wildcard tools/*.c)
LIB_OBJ := $(LIB_SRC:%.c=$(B)/%.o)
SHIM_OBJ := $(SHIM_SRC:%.c=$(B)/%.o)
TOOL_OBJ := $(TOOL_SRC:%.c=$(B)/%.o)

# Debian packages: to build, to test, the peers the tests use, and the
# benchmark's handshake client (bench/hsload.c, OpenSSL).
BUILD_PKGS := gcc make patch pkg-config python3 libinih-dev libgcrypt20-dev check dpkg-dev autoconf automake \
	libtool debian-archive-keyring
TEST_PKGS := openssl curl python3 procps iproute2 socat valgrind nginx redis-server \
	redis-tools mosquitto mosquitto-clients wrk default-jdk-headless softhsm2 opensc \
	stunnel4 libwww-perl python3-cryptography haproxy rabbitmq-server python3-pika strace \
	nodejs apache2 libssl-dev libwolfssl-dev qemu-user postfix dovecot-imapd sslscan testssl.sh \
	clang libclang-rt-14-dev systemd python3-prometheus-client man-db debhelper lintian
# outbound.sh: a TLS 1.2-only server that answers a TLS 1.3-only ClientHello.
TEST_PKGS += gnutls-bin
BENCH_PKGS := libssl-dev
# What make demo runs: the partner, the broker, the client and the wire taps.
DEMO_PKGS := openssl socat curl python3
PKGS := $(BUILD_PKGS) $(TEST_PKGS) $(BENCH_PKGS)

.PHONY: FORCE all deps demo-deps test unit integration demo bench soak install uninstall clean distclean check-boundary wolfssl-check \
	wolfssl-update fuzz fuzz-build

MAN := $(B)/man/attls.1 $(B)/man/attls.ini.5 $(B)/man/attls.7

all: $(B)/libattls.so $(B)/attls $(B)/boundary.ok $(B)/query_server $(MAN) $(B)/attls.pc \
	wolfssl-check

# attls.ini(5) is made from the README's policy tables: one source.
$(B)/man/attls.ini.5: man/gen-attls-ini.py README.md $(B)/paths
	@mkdir -p $(dir $@)
	python3 man/gen-attls-ini.py README.md $(VERSION) >$@.tmp && mv $@.tmp $@

# The paths built in (attls run's LIBDIR, the man pages, attls.pc): a
# make install with another PREFIX than the build's remakes them.
PATHS := $(PREFIX)|$(LIBDIR)|$(BINDIR)|$(INCLUDEDIR)|$(SYSCONFDIR)|$(VERSION)
$(B)/paths: FORCE
	@mkdir -p $(B)
	@[ "$$(cat $@ 2>/dev/null)" = '$(PATHS)' ] || echo '$(PATHS)' >$@
FORCE:

# attls(7)'s MESSAGES: the README's message catalogue, the same way.
$(B)/man/attls.7: man/attls.7 man/gen-messages.py man/gen-attls-ini.py README.md $(B)/paths
	@mkdir -p $(dir $@)
	sed -e 's|@VERSION@|$(VERSION)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' $< >$@.in
	python3 man/gen-messages.py README.md $@.in >$@.tmp && mv $@.tmp $@ && rm -f $@.in

$(B)/man/%: man/% $(B)/paths
	@mkdir -p $(dir $@)
	sed -e 's|@VERSION@|$(VERSION)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' $< >$@

$(B)/attls.pc: Makefile $(B)/paths
	printf '%s\n' 'prefix=$(PREFIX)' 'includedir=$(INCLUDEDIR)' 'libdir=$(LIBDIR)' '' \
		'Name: attls' \
		'Description: application-transparent TLS: attls_query() through dlsym, and the preload library' \
		'Version: $(VERSION)' 'Cflags: -I$${includedir}' 'Libs: -ldl' \
		'preload=$${libdir}/libattls.so' >$@

# Fetched once and cached in $(WOLF); rebuilt when its configure flags change.
$(WOLF_A): wolfssl/build wolfssl/configure-flags $(wildcard wolfssl/patches/*.patch)
	wolfssl/build $(WOLF)

# At most once a day: says when Debian publishes a newer wolfssl revision.
wolfssl-check: $(WOLF_A)
	@wolfssl/build $(WOLF) --check

# Fetches the newest revision Debian publishes, builds and relinks with it.
wolfssl-update:
	wolfssl/build $(WOLF) --update
	$(MAKE) all

# Installs what is missing, on Debian (sudo when not root).
# deps: what make test and make bench use; demo-deps: what make demo uses
# only. Each says which packages it installs, and for what.
deps: WANT = $(PKGS)
deps: FOR = build, tests and benchmark
demo-deps: WANT = $(BUILD_PKGS) $(DEMO_PKGS)
demo-deps: FOR = build and demo
deps demo-deps:
	@echo "Debian packages for the $(FOR):" $(WANT)
	@missing=$$(for p in $(WANT); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
		grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing:" $$missing; \
		sudo=; [ "$$(id -u)" = 0 ] || sudo=sudo; \
		case " $$missing " in *" postfix "*) \
			echo "postfix postfix/main_mailer_type select No configuration" | \
				$$sudo debconf-set-selections;; esac; \
		$$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

$(B)/%.o: %.c $(wildcard lib/*.h shim/*.h tools/*.h) $(WOLF_A)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

# wolfSSL's names stay inside: --exclude-libs hides every symbol of the
# archive, so the library exports the hooks and attls's API only.
WOLF_LINK := $(WOLF_A) -Wl,--exclude-libs,ALL
# lib/hot.ld (bench/hotlist.sh) puts the functions a program's start runs
# first, from the sections each function has (-ffunction-sections, here
# and in wolfSSL's build): an exec under attls touches a few pages of code.
LIB_LINK = $(CC) $(LDFLAGS) -shared -o $@ $(LIB_OBJ) $(SHIM_OBJ) $(WOLF_LINK) $(LDLIBS_LIB) -Wl,-z,defs \
	-Wl,-z,now -Wl,-z,relro
$(B)/libattls.so: $(LIB_OBJ) $(SHIM_OBJ) $(WOLF_A) lib/hot.ld
	$(LIB_LINK) -Wl,-T,lib/hot.ld

# The same in the linker's own order, for bench/hotlist.sh: valgrind names
# only the functions of a section called .text.
$(B)/libattls-unordered.so: $(LIB_OBJ) $(SHIM_OBJ) $(WOLF_A)
	$(LIB_LINK)

# lib/ reaches the kernel only through its io table (lib/sysio.h): no
# object of lib/ may call a name the shim exports (a hook) or may come to
# hook, or that call would land in attls's own hook. sysio.o resolves them.
HOOKABLE := open open64 openat openat64 creat creat64 socket socketpair pipe pipe2 \
	eventfd signalfd timerfd_create memfd_create epoll_create epoll_create1 inotify_init \
	inotify_init1 fclose fcloseall fdopen syscall _Fork fork vfork __close close_range \
	closefrom pread pwrite preadv pwritev preadv2 pwritev2
$(B)/boundary.ok: $(B)/libattls.so $(filter-out $(B)/lib/sysio.o,$(LIB_OBJ))
	@hooks=$$( (nm -D --defined-only $(B)/libattls.so | awk '{print $$3}'; \
		printf '%s\n' $(HOOKABLE)) | sort -u); \
	bad=0; for o in $(filter-out $(B)/lib/sysio.o,$(LIB_OBJ)); do \
		for n in $$(nm -u $$o | awk '{print $$2}' | sed 's/@.*//'); do \
			if printf '%s\n' $$hooks | grep -qx -- "$$n"; then \
				echo "$$o calls $$n by its name: go through attls_io (lib/sysio.h)"; bad=1; fi; \
		done; done; [ $$bad = 0 ]
	@touch $@

check-boundary: $(B)/boundary.ok

$(B)/libattls-core.a: $(LIB_OBJ)
	ar rcs $@ $^

$(B)/attls: $(TOOL_OBJ) $(B)/libattls-core.a
	$(CC) $(LDFLAGS) -o $@ $^ $(WOLF_A) $(LDLIBS_LIB) -Wl,-z,now -Wl,-z,relro
# The library finds it preloaded into the command by this symbol (tools/attls.c).
$(B)/attls: LDFLAGS += -Wl,--export-dynamic-symbol=attls_command

# What builds in the paths and the version.
$(B)/tools/cmd_run.o $(B)/tools/attls.o: $(B)/paths

# The attls_query example (examples/query): it links with nothing of attls.
$(B)/query_server: examples/query/query_server.c include/attls.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< -ldl

# Unit tests (Check), then integration tests with real programs and peers.
UNIT_SRC := $(wildcard tests/unit/*.c)
# tools/procnet.o and livescan.o: attls status's /proc/net/tcp parser and table reader.
$(B)/unit_tests: $(UNIT_SRC) $(B)/libattls-core.a $(B)/tools/procnet.o $(B)/tools/livescan.o \
		$(B)/tools/procscan.o
	$(CC) $(CPPFLAGS) -std=c11 -Wall -Wextra -Werror -g -pthread -o $@ $(UNIT_SRC) \
		$(B)/tools/procnet.o $(B)/tools/livescan.o $(B)/tools/procscan.o $(B)/libattls-core.a $(WOLF_A) $$(pkg-config --cflags --libs check) $(LDLIBS_LIB)

test: deps
	$(MAKE) all $(B)/unit_tests
	$(MAKE) unit integration

# The unit tests run once more under valgrind, in one process, to catch
# leaks and bad reads in the loader and matcher.
unit: $(B)/unit_tests
	cd tests/unit && CK_DEFAULT_TIMEOUT=30 ../../$(B)/unit_tests
	cd tests/unit && ATTLS_UNIT_QUICK=1 CK_FORK=no valgrind -q --error-exitcode=9 --leak-check=full \
		--suppressions=valgrind.supp \
		--errors-for-leak-kinds=definite ../../$(B)/unit_tests

# Stacked after attls in the tests: EAGAIN and short reads and writes.
$(B)/libfault.so: tests/fault/fault_inject.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -shared -o $@ $< -ldl

# Stacked after attls in the tests: user look-ups that fail.
$(B)/libpwfault.so: tests/fault/pw_fault.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -shared -o $@ $< -ldl

# Stacked after attls in the tests: getrandom() taken away.
$(B)/librandfault.so: tests/fault/rand_fault.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -shared -o $@ $<

# Stacked after attls in the tests: a pipe that fills between two FIONREADs.
$(B)/libfionreadfault.so: tests/fault/fionread_fault.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -shared -o $@ $<

# The shim once more with AddressSanitizer and UBSan, for the tests that
# run real programs on it (tests/integration/sanitizers.sh).
$(B)/asan/libattls.so: $(LIB_SRC) $(SHIM_SRC) $(wildcard lib/*.h shim/*.h) $(WOLF_A)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -std=c11 -Wall -Wextra -Werror -fPIC -fvisibility=hidden -pthread -g -O1 \
		-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined \
		-shared -o $@ $(LIB_SRC) $(SHIM_SRC) $(WOLF_LINK) $(LDLIBS_LIB)

# The shim once more with ThreadSanitizer, for the thread and fork tests
# (tests/integration/tsan.sh).
$(B)/tsan/libattls.so: $(LIB_SRC) $(SHIM_SRC) $(wildcard lib/*.h shim/*.h) $(WOLF_A)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -std=c11 -Wall -Wextra -Werror -fPIC -fvisibility=hidden -pthread -g -O1 \
		-fsanitize=thread -fno-omit-frame-pointer \
		-shared -o $@ $(LIB_SRC) $(SHIM_SRC) $(WOLF_LINK) $(LDLIBS_LIB)

integration: all fuzz-build $(B)/libfault.so $(B)/libpwfault.so $(B)/librandfault.so $(B)/libfionreadfault.so $(B)/asan/libattls.so $(B)/tsan/libattls.so
	tests/integration/run-all

# libFuzzer targets (tests/fuzz): lib/ compiled by clang with ASan and
# UBSan and coverage; wolfSSL is the archive gcc built, not instrumented.
FUZZ_CC ?= clang
FUZZ_TARGETS := policy values p11uri session
FUZZ_SECONDS ?= 300
FUZZ_CFLAGS := -std=c11 -Wall -Wextra -Werror -pthread -g -O1 -fno-omit-frame-pointer \
	-fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_OBJ := $(LIB_SRC:%.c=$(B)/fuzz/obj/%.o)
FUZZ_BIN := $(FUZZ_TARGETS:%=$(B)/fuzz/%)

$(B)/fuzz/obj/%.o: %.c $(wildcard lib/*.h) $(WOLF_A)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(B)/fuzz/libattls-fuzz.a: $(FUZZ_OBJ)
	rm -f $@
	ar rcs $@ $^

$(FUZZ_BIN): $(B)/fuzz/%: tests/fuzz/%.c tests/fuzz/fuzz.h $(B)/fuzz/libattls-fuzz.a
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< \
		$(B)/fuzz/libattls-fuzz.a $(WOLF_A) $(LDLIBS_LIB)

# A CA, a server and a client certificate for the session target.
$(B)/fuzz/pki/ok: tests/fuzz/make-pki
	tests/fuzz/make-pki $(B)/fuzz/pki

fuzz-build: $(FUZZ_BIN) $(B)/fuzz/pki/ok

# Each target for FUZZ_SECONDS (default 300), after its regression inputs.
fuzz: deps
	$(MAKE) fuzz-build
	tests/fuzz/run $(FUZZ_SECONDS) $(FUZZ_TARGETS)

demo: demo-deps
	$(MAKE) all
	examples/broker/demo

# attls against the program's own TLS, stunnel and plain TCP, interleaved:
# bench/results/<timestamp>.md. BENCH_QUICK=1 for a short run.
bench: deps
	$(MAKE) all
	bench/run

# The long run: 100,000 connections and twice 2,000 at once at redis-server
# under attls; its RSS and descriptors after the first 1,000 and at the
# end, and its CPU once the load stops (make test runs 10,000).
soak: deps
	$(MAKE) all
	SOAK_CONNS=100000 bash tests/integration/soak.sh

# AES-GCM on wolfSSL's own code and on libgcrypt, record size by record
# size, and what device = auto chooses here: build/gcm_speed [SECONDS].
$(B)/gcm_speed: bench/gcm_speed.c $(B)/libattls-core.a
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(B)/libattls-core.a $(WOLF_A) $(LDLIBS_LIB)

# Installs the library, the command, the header, the pkg-config file, the
# man pages and /etc/attls: attls.ini.example always, attls.ini from it only
# where none exists (never overwritten). uninstall removes exactly these,
# and attls.ini only if it is still the example.
INSTALLED := $(LIBDIR)/libattls.so $(BINDIR)/attls $(INCLUDEDIR)/attls.h \
	$(PKGCONFIGDIR)/attls.pc $(MANDIR)/man1/attls.1 $(MANDIR)/man5/attls.ini.5 \
	$(MANDIR)/man7/attls.7 $(SYSCONFDIR)/attls/attls.ini.example $(DOCDIR)/README.md
# /run/attls at boot (conf/attls.tmpfiles), for services that cannot make it.
INSTALLED += $(TMPFILESDIR)/attls.conf
install: all
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(INCLUDEDIR) \
		$(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(SYSCONFDIR)/attls $(DESTDIR)$(DOCDIR)
	install -m 755 $(B)/libattls.so $(DESTDIR)$(LIBDIR)/libattls.so
	install -m 755 $(B)/attls $(DESTDIR)$(BINDIR)/attls
	install -m 644 include/attls.h $(DESTDIR)$(INCLUDEDIR)/attls.h
	install -m 644 $(B)/attls.pc $(DESTDIR)$(PKGCONFIGDIR)/attls.pc
	install -m 644 $(B)/man/attls.1 $(DESTDIR)$(MANDIR)/man1/attls.1
	install -m 644 $(B)/man/attls.ini.5 $(DESTDIR)$(MANDIR)/man5/attls.ini.5
	install -m 644 $(B)/man/attls.7 $(DESTDIR)$(MANDIR)/man7/attls.7
	install -m 644 conf/attls.ini.example $(DESTDIR)$(SYSCONFDIR)/attls/attls.ini.example
	install -m 644 README.md $(DESTDIR)$(DOCDIR)/README.md
	[ -e $(DESTDIR)$(SYSCONFDIR)/attls/attls.ini ] || \
		install -m 644 conf/attls.ini.example $(DESTDIR)$(SYSCONFDIR)/attls/attls.ini
	install -d $(DESTDIR)$(TMPFILESDIR)
	install -m 644 conf/attls.tmpfiles $(DESTDIR)$(TMPFILESDIR)/attls.conf
# Made now too, not only at the next boot (as the package's postinst does).
	[ -n "$(DESTDIR)" ] || [ "$$(id -u)" != 0 ] || ! command -v systemd-tmpfiles >/dev/null || \
		systemd-tmpfiles --create $(TMPFILESDIR)/attls.conf || true

uninstall:
	if cmp -s conf/attls.ini.example $(DESTDIR)$(SYSCONFDIR)/attls/attls.ini; then \
		rm -f $(DESTDIR)$(SYSCONFDIR)/attls/attls.ini; fi
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	-rmdir $(DESTDIR)$(LIBDIR) $(DESTDIR)$(SYSCONFDIR)/attls $(DESTDIR)$(DOCDIR) 2>/dev/null

# The fetched wolfSSL source and its build stay: see distclean.
clean:
	[ ! -d $(B) ] || find $(B) -mindepth 1 -maxdepth 1 ! -name wolfssl -exec rm -rf {} +

distclean:
	rm -rf $(B)
