#!/usr/bin/env bash
# The hooked set against libc's exports: every I/O and fd call of the list
# below that libc exports (outside GLIBC_PRIVATE) is defined by libattls.so
# or named with a reason in unhooked.txt, so that an alias or a new
# variant (_Fork, preadv2, __close) cannot slip by unseen.
source "$(dirname "$0")/lib.sh"
LIBC=$(cc -print-file-name=libc.so.6)
[ -e "$LIBC" ] || LIBC=$(ldd /bin/true | awk '/libc\.so/ {print $3}')
NAMES="read __read __read_chk readv pread pread64 __pread64 __pread_chk __pread64_chk
preadv preadv64 preadv2 preadv64v2 write __write writev pwrite pwrite64 __pwrite64
pwritev pwritev64 pwritev2 pwritev64v2 close __close close_range closefrom dup dup2
__dup2 dup3 fcntl fcntl64 __fcntl ioctl socket __socket socketpair accept accept4
__accept connect __connect shutdown send __send sendto sendmsg sendmmsg recv __recv
__recv_chk recvfrom __recvfrom_chk recvmsg recvmmsg getsockopt setsockopt sendfile
sendfile64 splice tee vmsplice copy_file_range poll __poll __poll_chk ppoll
__ppoll_chk select __select pselect epoll_create epoll_create1 epoll_ctl epoll_wait
epoll_pwait epoll_pwait2 fork __fork _Fork vfork __vfork clone __clone posix_spawn
posix_spawnp syscall fclose fcloseall fdopen pipe __pipe pipe2 open __open open64
__open64 openat openat64 __open_2 __open64_2 __openat_2 __openat64_2 creat creat64
eventfd signalfd timerfd_create memfd_create inotify_init inotify_init1
fanotify_init pidfd_open pidfd_getfd execve execveat fexecve execv execvp execvpe execl
execlp execle"
exports() {
	nm -D --defined-only "$1" | awk '$3 !~ /@GLIBC_PRIVATE$/ {sub(/@.*/, "", $3); print $3}' | sort -u
}
exports "$LIBC" >"$WORK/libc"
exports "$LIB" >"$WORK/attls"
grep -v '^#' "$(dirname "$0")/unhooked.txt" | awk -F'\t' 'NF >= 2 && $2 != "" {print $1}' |
	sort -u >"$WORK/allowed"
check "libc's exports were read ($(wc -l <"$WORK/libc") names)" [ "$(wc -l <"$WORK/libc")" -gt 1000 ]
missing=() stale=()
for n in $NAMES; do
	grep -qx "$n" "$WORK/libc" || continue
	if grep -qx "$n" "$WORK/attls"; then
		grep -qx "$n" "$WORK/allowed" && stale+=("$n")
	elif ! grep -qx "$n" "$WORK/allowed"; then
		missing+=("$n")
	fi
done
check "every listed call libc exports is hooked or named with a reason${missing[*]:+ (missing: ${missing[*]})}" \
	[ ${#missing[@]} = 0 ]
check "unhooked.txt names no call attls hooks${stale[*]:+ (${stale[*]})}" [ ${#stale[@]} = 0 ]
finish
