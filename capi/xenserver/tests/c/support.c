#include "support.h"

#include <curl/curl.h>

void print_error(const xen_session *session)
{
    if (session == NULL || session->ok)
        return;
    fprintf(stderr, "session error:");
    for (int i = 0; i < session->error_description_count; i++)
        fprintf(stderr, " %s", session->error_description[i]);
    fprintf(stderr, "\n");
}

typedef struct {
    xen_result_func func;
    void *handle;
} result_sink;

static size_t write_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    result_sink *sink = userdata;
    size_t n = size * nmemb;
    return sink->func(ptr, n, sink->handle) ? n : 0;
}

int curl_call_func(const void *data, size_t len, void *user_handle,
                   void *result_handle, xen_result_func result_func)
{
    CURL *curl = curl_easy_init();
    if (curl == NULL)
        return -1;
    result_sink sink = { result_func, result_handle };
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: text/xml");
    curl_easy_setopt(curl, CURLOPT_URL, (const char *)user_handle);
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, data);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)len);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    CURLcode rc = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    if (rc != CURLE_OK)
        return (int)rc;
    return status == 200 ? 0 : (int)status;
}

int canned_call_func(const void *data, size_t len, void *user_handle,
                     void *result_handle, xen_result_func result_func)
{
    canned *c = user_handle;
    c->calls++;
    free(c->last_request);
    c->last_request = malloc(len + 1);
    memcpy(c->last_request, data, len);
    c->last_request[len] = '\0';
    if (c->rc != 0)
        return c->rc;
    if (c->next >= c->count)
        return 99;
    const char *body = c->responses[c->next++];
    size_t n = strlen(body);
    /* Feed the body in two chunks, as a network transport would. */
    size_t half = n / 2;
    if (!result_func(body, half, result_handle))
        return 98;
    if (!result_func(body + half, n - half, result_handle))
        return 98;
    return 0;
}

void canned_free(canned *c)
{
    free(c->last_request);
    c->last_request = NULL;
}
