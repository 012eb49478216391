/* Helpers for the C test programs: transports (libcurl, canned responses) and checks. */
#ifndef XENAPI_TEST_SUPPORT_H
#define XENAPI_TEST_SUPPORT_H

/* strdup */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xen/api/xen_all.h>

/* Fails the program with the location, the condition and the session's error. */
#define CHECK(session, cond)                                                   \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__,   \
                    #cond);                                                    \
            print_error(session);                                              \
            exit(1);                                                           \
        }                                                                      \
    } while (0)

#define CHECK_STR(session, a, b)                                               \
    do {                                                                       \
        const char *a_ = (a), *b_ = (b);                                       \
        if (a_ == NULL || strcmp(a_, b_) != 0) {                               \
            fprintf(stderr, "%s:%d: %s is \"%s\", expected \"%s\"\n",          \
                    __FILE__, __LINE__, #a, a_ ? a_ : "(null)", b_);           \
            print_error(session);                                              \
            exit(1);                                                           \
        }                                                                      \
    } while (0)

void print_error(const xen_session *session);

/* POSTs the request to the URL given as the user handle (a char *), with libcurl. */
int curl_call_func(const void *data, size_t len, void *user_handle,
                   void *result_handle, xen_result_func result_func);

/* Canned responses, returned in order; the requests are kept for inspection. */
typedef struct {
    const char **responses;
    size_t count;
    size_t next;
    int rc;              /* returned instead of a response when non-zero */
    size_t calls;        /* how many times call_func ran */
    char *last_request;  /* malloc'd copy of the last request body */
} canned;

int canned_call_func(const void *data, size_t len, void *user_handle,
                     void *result_handle, xen_result_func result_func);
void canned_free(canned *c);

/* XML-RPC response bodies. */
#define XML_HEAD "<?xml version=\"1.0\"?><methodResponse><params><param><value><struct>"
#define XML_TAIL "</struct></value></param></params></methodResponse>"
#define OK(v) XML_HEAD "<member><name>Status</name><value>Success</value></member>" \
    "<member><name>Value</name><value>" v "</value></member>" XML_TAIL
#define FAIL1(code, p) XML_HEAD "<member><name>Status</name><value>Failure</value></member>" \
    "<member><name>ErrorDescription</name><value><array><data><value>" code \
    "</value><value>" p "</value></data></array></value></member>" XML_TAIL

#endif
