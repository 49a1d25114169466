/*
 * Tests redis_host_is_local() of src/redis/redis-sentinel.c: a restore
 * under Sentinel goes ahead only when the master runs on this machine.
 * The rest of the module runs against real sentinels in
 * tests/integration/redis-sentinel.sh.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "redis/redis-sentinel.h"
#include "tap.h"

int
main(void)
{
	struct ifaddrs *ifs = NULL;
	char own[INET_ADDRSTRLEN] = "";

	ok(redis_host_is_local("127.0.0.1"), "127.0.0.1 is local");
	ok(redis_host_is_local("127.3.4.5"), "all of 127.0.0.0/8 is local");
	ok(redis_host_is_local("localhost"), "localhost is local");
	ok(!redis_host_is_local("198.51.100.77"), "an address of no interface here is not (TEST-NET-2)");
	ok(!redis_host_is_local("203.0.113.9"), "nor is another one (TEST-NET-3)");
	if (getifaddrs(&ifs) == 0) {
		for (const struct ifaddrs *i = ifs; i != NULL && own[0] == '\0'; i = i->ifa_next) {
			const struct sockaddr_in *a = (const struct sockaddr_in *)i->ifa_addr;

			if (a != NULL && a->sin_family == AF_INET &&
			    (ntohl(a->sin_addr.s_addr) >> 24) != 127)
				inet_ntop(AF_INET, &a->sin_addr, own, sizeof own);
		}
		freeifaddrs(ifs);
	}
	if (own[0] != '\0')
		ok(redis_host_is_local(own), "this machine's own address %s is local", own);
	else
		printf("ok %d - # SKIP no non-loopback IPv4 address here\n", ++tap_n);
	return tap_done();
}
