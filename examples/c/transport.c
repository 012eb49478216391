#include "transport.h"

#include <stdio.h>
#include <stdlib.h>

#include <curl/curl.h>

typedef struct {
    xen_result_func func;
    void *handle;
} sink;

static size_t write_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    sink *s = userdata;
    return s->func(ptr, size * nmemb, s->handle) ? size * nmemb : 0;
}

int example_call_func(const void *data, size_t len, void *user_handle,
                      void *result_handle, xen_result_func result_func)
{
    CURL *curl = curl_easy_init();
    if (curl == NULL)
        return -1;
    sink s = { result_func, result_handle };
    curl_easy_setopt(curl, CURLOPT_URL, (const char *)user_handle);
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, data);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)len);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &s);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    CURLcode rc = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(curl);
    if (rc != CURLE_OK) {
        fprintf(stderr, "curl: %s\n", curl_easy_strerror(rc));
        return (int)rc;
    }
    return status == 200 ? 0 : (int)status;
}

void example_print_error(const xen_session *session)
{
    fprintf(stderr, "error:");
    for (int i = 0; i < session->error_description_count; i++)
        fprintf(stderr, " %s", session->error_description[i]);
    fprintf(stderr, "\n");
}

xen_session *example_login(int argc, char **argv, const char *usage)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s URL USER PASSWORD %s\n", argv[0], usage);
        exit(2);
    }
    xen_init();
    curl_global_init(CURL_GLOBAL_DEFAULT);
    xen_session *session = xen_session_login_with_password(example_call_func, argv[1], argv[2],
                                                           argv[3], xen_api_latest_version);
    if (!session->ok) {
        example_print_error(session);
        xen_session_logout(session);
        exit(1);
    }
    return session;
}
