/*
 * A stand-in for libgupnp-igd-1.0.so.4, for the simple-whip-client test only
 * (tests/e2e/whip_client_e2e_test.ts compiles it with cc into a temporary
 * folder and puts that folder on LD_LIBRARY_PATH).
 *
 * Why: Debian 12's whip-client links libsoup-2.4, while GStreamer's webrtc
 * plugin loads libnice, which links libgupnp-igd (UPnP port mapping), which
 * pulls in libsoup-3.0; libsoup aborts a process that holds both ("libsoup2
 * symbols detected", exit 133). libnice needs only these four functions
 * from it; with no UPnP agent (NULL), it maps no ports, which a test on one
 * machine does not need.
 */
typedef unsigned long GType;

void *gupnp_simple_igd_thread_new(void) { return 0; }

GType gupnp_simple_igd_get_type(void) { return 0; }

void gupnp_simple_igd_add_port(void *self, const char *protocol,
                               unsigned int external_port,
                               const char *local_ip, unsigned int local_port,
                               unsigned int lease_duration,
                               const char *description) {}

void gupnp_simple_igd_remove_port_local(void *self, const char *protocol,
                                        const char *local_ip,
                                        unsigned int local_port) {}
