/* A libcurl call_func for the examples: the user handle is the server URL. */
#ifndef EXAMPLE_TRANSPORT_H
#define EXAMPLE_TRANSPORT_H

#include <xen/api/xen_all.h>

int example_call_func(const void *data, size_t len, void *user_handle,
                      void *result_handle, xen_result_func result_func);

/* Logs in with URL USER PASSWORD from argv[1..3]; exits with a message on failure. */
xen_session *example_login(int argc, char **argv, const char *usage);

/* Prints the session's error to stderr. */
void example_print_error(const xen_session *session);

#endif
