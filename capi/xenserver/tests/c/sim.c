/*
 * The C ABI against a running xapi-compatible server (the simulator), over libcurl:
 *   sim URL USER PASSWORD [CA_PEM_FILE]
 * over libcurl, or with a CA file over the built-in transport extension (HTTPS, verified),
 * login, getters of every type kind, setters, maps, enums both ways, records, create and
 * destroy, an Async call with task polling, an event.from loop, failures and clear_error.
 */
#include "support.h"

#include <time.h>

#include <xen/api/xenapi_ext_transport.h>

static xen_call_func call_func = curl_call_func;
static void *call_handle;

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    char *buf = calloc(1, 1 << 16);
    size_t n = fread(buf, 1, (1 << 16) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static xen_vm find_halted_guest(xen_session *s)
{
    xen_vm_xen_vm_record_map *all = NULL;
    CHECK(s, xen_vm_get_all_records(s, &all));
    xen_vm_set *vms = NULL;
    CHECK(s, xen_vm_get_all(s, &vms));
    CHECK(s, all->size == vms->size && vms->size > 0);
    xen_vm_set_free(vms);
    xen_vm found = NULL;
    for (size_t i = 0; i < all->size && found == NULL; i++) {
        xen_vm_record *r = all->contents[i].val;
        /* get_all_records fills each record's handle with its ref */
        CHECK_STR(s, (char *)r->handle, (char *)all->contents[i].key);
        if (!r->is_a_template && !r->is_control_domain && r->power_state == XEN_VM_POWER_STATE_HALTED)
            found = strdup((char *)all->contents[i].key);
    }
    xen_vm_xen_vm_record_map_free(all);
    CHECK(s, found != NULL);
    return found;
}

static void test_getters(xen_session *s, xen_vm vm)
{
    char *label = NULL;
    CHECK(s, xen_vm_get_name_label(s, &label, vm));
    CHECK(s, label != NULL);

    /* libvirt looks VMs up by name */
    struct xen_vm_set *byname = NULL;
    CHECK(s, xen_vm_get_by_name_label(s, &byname, label));
    CHECK(s, byname->size >= 1);
    xen_vm_set_free(byname);

    xen_vm_record *rec = NULL;
    CHECK(s, xen_vm_get_record(s, &rec, vm));
    CHECK_STR(s, rec->name_label, label);
    CHECK_STR(s, (char *)rec->handle, (char *)vm);
    char *uuid = NULL;
    CHECK(s, xen_vm_get_uuid(s, &uuid, vm));
    CHECK_STR(s, uuid, rec->uuid);
    xen_vm by_uuid = NULL;
    CHECK(s, xen_vm_get_by_uuid(s, &by_uuid, uuid));
    CHECK_STR(s, (char *)by_uuid, (char *)vm);
    xen_vm_free(by_uuid);
    xen_uuid_free(uuid);

    int64_t vcpus = 0;
    CHECK(s, xen_vm_get_vcpus_max(s, &vcpus, vm));
    CHECK(s, vcpus == rec->vcpus_max && vcpus > 0);
    int64_t mem = 0;
    CHECK(s, xen_vm_get_memory_static_max(s, &mem, vm));
    CHECK(s, mem == rec->memory_static_max);
    double mult = 0;
    CHECK(s, xen_vm_get_hvm_shadow_multiplier(s, &mult, vm));
    CHECK(s, mult == rec->hvm_shadow_multiplier);
    bool tmpl = true;
    CHECK(s, xen_vm_get_is_a_template(s, &tmpl, vm) && !tmpl);
    enum xen_vm_power_state ps = XEN_VM_POWER_STATE_UNDEFINED;
    CHECK(s, xen_vm_get_power_state(s, &ps, vm) && ps == XEN_VM_POWER_STATE_HALTED);
    xen_string_string_map *platform = NULL;
    CHECK(s, xen_vm_get_platform(s, &platform, vm));
    CHECK(s, platform->size == (rec->platform ? rec->platform->size : 0));
    xen_string_string_map_free(platform);
    struct xen_vif_set *vifs = NULL;
    CHECK(s, xen_vm_get_vifs(s, &vifs, vm));
    CHECK(s, vifs->size == rec->vifs->size);
    for (size_t i = 0; i < vifs->size; i++) {
        xen_network net = NULL;
        CHECK(s, xen_vif_get_network(s, &net, vifs->contents[i]));
        char *bridge = NULL;
        CHECK(s, xen_network_get_bridge(s, &bridge, net));
        free(bridge);
        xen_network_free(net);
    }
    xen_vif_set_free(vifs);
    xen_vm_metrics metrics = NULL;
    CHECK(s, xen_vm_get_metrics(s, &metrics, vm));
    time_t t = 0;
    CHECK(s, xen_vm_metrics_get_last_updated(s, &t, metrics));
    xen_vm_metrics_free(metrics);
    xen_vm_record_free(rec);
    free(label);

    /* the host side, as libvirt reads it */
    xen_host host = NULL;
    CHECK(s, xen_session_get_this_host(s, &host, s));
    char *hostname = NULL;
    CHECK(s, xen_host_get_hostname(s, &hostname, host));
    CHECK(s, hostname != NULL && hostname[0] != '\0');
    free(hostname);
    xen_string_string_map *sv = NULL;
    CHECK(s, xen_host_get_software_version(s, &sv, host));
    CHECK(s, sv->size > 0);
    xen_string_string_map_free(sv);
    xen_host_cpu_set *cpus = NULL;
    CHECK(s, xen_host_cpu_get_all(s, &cpus));
    CHECK(s, cpus->size > 0);
    int64_t speed = 0;
    CHECK(s, xen_host_cpu_get_speed(s, &speed, cpus->contents[0]));
    xen_host_cpu_set_free(cpus);
    xen_host_free(host);
}

static void test_setters(xen_session *s, xen_vm vm)
{
    CHECK(s, xen_vm_set_name_label(s, vm, "renamed by C"));
    char *label = NULL;
    CHECK(s, xen_vm_get_name_label(s, &label, vm));
    CHECK_STR(s, label, "renamed by C");
    free(label);

    CHECK(s, xen_vm_add_to_other_config(s, vm, "c-test", "yes"));
    xen_string_string_map *oc = NULL;
    CHECK(s, xen_vm_get_other_config(s, &oc, vm));
    bool seen = false;
    for (size_t i = 0; i < oc->size; i++)
        seen |= strcmp(oc->contents[i].key, "c-test") == 0 && strcmp(oc->contents[i].val, "yes") == 0;
    CHECK(s, seen);
    xen_string_string_map_free(oc);
    CHECK(s, xen_vm_remove_from_other_config(s, vm, "c-test"));

    CHECK(s, xen_vm_set_actions_after_crash(s, vm, XEN_ON_CRASH_BEHAVIOUR_PRESERVE));
    enum xen_on_crash_behaviour crash = XEN_ON_CRASH_BEHAVIOUR_UNDEFINED;
    CHECK(s, xen_vm_get_actions_after_crash(s, &crash, vm));
    CHECK(s, crash == XEN_ON_CRASH_BEHAVIOUR_PRESERVE);
    CHECK_STR(s, xen_on_crash_behaviour_to_string(crash), "preserve");

    CHECK(s, xen_vm_set_memory_static_max(s, vm, 4294967296LL));
    int64_t mem = 0;
    CHECK(s, xen_vm_get_memory_static_max(s, &mem, vm) && mem == 4294967296LL);
}

static void test_create_destroy(xen_session *s)
{
    xen_network_record *rec = xen_network_record_alloc();
    rec->name_label = strdup("c-net");
    rec->name_description = strdup("made by the C test");
    rec->mtu = 1500;
    rec->other_config = xen_string_string_map_alloc(1);
    rec->other_config->contents[0].key = strdup("owner");
    rec->other_config->contents[0].val = strdup("c");
    xen_network net = NULL;
    CHECK(s, xen_network_create(s, &net, rec));
    xen_network_record_free(rec);
    xen_network_record *back = NULL;
    CHECK(s, xen_network_get_record(s, &back, net));
    CHECK_STR(s, back->name_label, "c-net");
    CHECK(s, back->mtu == 1500);
    CHECK(s, back->other_config->size == 1);
    CHECK_STR(s, back->other_config->contents[0].val, "c");
    xen_network_record_free(back);
    CHECK(s, xen_network_destroy(s, net));
    CHECK(s, !xen_network_get_record(s, &back, net));
    CHECK_STR(s, s->error_description[0], "HANDLE_INVALID");
    CHECK(s, back == NULL);
    xen_session_clear_error(s);
    xen_network_free(net);
}

static void wait_for_task(xen_session *s, xen_task task)
{
    enum xen_task_status_type status = XEN_TASK_STATUS_TYPE_PENDING;
    for (int i = 0; i < 600 && status == XEN_TASK_STATUS_TYPE_PENDING; i++) {
        CHECK(s, xen_task_get_status(s, &status, task));
        if (status == XEN_TASK_STATUS_TYPE_PENDING) {
            struct timespec ts = { 0, 10000000 };
            nanosleep(&ts, NULL);
        }
    }
    if (status != XEN_TASK_STATUS_TYPE_SUCCESS) {
        struct xen_string_set *info = NULL;
        if (xen_task_get_error_info(s, &info, task) && info->size > 0)
            fprintf(stderr, "task failed: %s\n", info->contents[0]);
        xen_string_set_free(info);
    }
    CHECK(s, status == XEN_TASK_STATUS_TYPE_SUCCESS);
}

static void test_async_start(xen_session *s, xen_vm vm)
{
    xen_task task = NULL;
    CHECK(s, xen_vm_start_async(s, &task, vm, false, false));
    CHECK(s, task != NULL && strncmp((char *)task, "OpaqueRef:", 10) == 0);
    wait_for_task(s, task);
    enum xen_vm_power_state ps = XEN_VM_POWER_STATE_UNDEFINED;
    CHECK(s, xen_vm_get_power_state(s, &ps, vm) && ps == XEN_VM_POWER_STATE_RUNNING);
    int64_t domid = -1;
    CHECK(s, xen_vm_get_domid(s, &domid, vm) && domid > 0);
    CHECK(s, xen_task_destroy(s, task));
    xen_task_free(task);
    /* starting it again fails with the server's reason */
    CHECK(s, !xen_vm_start(s, vm, false, false));
    CHECK_STR(s, s->error_description[0], "VM_BAD_POWER_STATE");
    xen_session_clear_error(s);
    CHECK(s, xen_vm_hard_shutdown(s, vm));
}

static void test_events(xen_session *s, xen_vm vm)
{
    struct xen_string_set *classes = xen_string_set_alloc(1);
    classes->contents[0] = strdup("vm");
    struct xen_event_batch *batch = NULL;
    CHECK(s, xen_event_from(s, &batch, classes, "", 0.0));
    CHECK(s, batch->token != NULL && batch->events != NULL);
    char *token = strdup(batch->token);
    xen_event_batch_free(batch);
    CHECK(s, xen_vm_set_name_description(s, vm, "touched"));
    bool seen = false;
    for (int round = 0; round < 10 && !seen; round++) {
        batch = NULL;
        CHECK(s, xen_event_from(s, &batch, classes, token, 5.0));
        for (size_t i = 0; i < batch->events->size; i++) {
            xen_event_record *e = batch->events->contents[i];
            CHECK_STR(s, e->XEN_CLAZZ, "vm");
            if (e->operation == XEN_EVENT_OPERATION_MOD && strcmp(e->ref, (char *)vm) == 0)
                seen = true;
        }
        free(token);
        token = strdup(batch->token);
        xen_event_batch_free(batch);
    }
    CHECK(s, seen);
    free(token);
    xen_string_set_free(classes);
}

static void test_failures(xen_session *s)
{
    char *label = NULL;
    CHECK(s, !xen_vm_get_name_label(s, &label, "OpaqueRef:no-such-vm"));
    CHECK(s, s->error_description_count >= 1);
    CHECK_STR(s, s->error_description[0], "HANDLE_INVALID");
    CHECK(s, !xen_vm_get_name_label(s, &label, "OpaqueRef:ignored-while-in-error"));
    xen_session_clear_error(s);
    CHECK(s, s->ok);
}

int main(int argc, char **argv)
{
    if (argc != 4 && argc != 5) {
        fprintf(stderr, "usage: sim URL USER PASSWORD [CA_PEM_FILE]\n");
        return 2;
    }
    xen_init();
    xenapi_ext_transport *transport = NULL;
    call_handle = argv[1];
    if (argc == 5) {
        char *pem = read_file(argv[4]);
        CHECK(NULL, pem != NULL);
        xenapi_ext_transport_options opts = { pem, NULL, false, 0, 0, 0 };
        char *err = NULL;
        transport = xenapi_ext_transport_new(argv[1], &opts, &err);
        if (transport == NULL)
            fprintf(stderr, "%s\n", err);
        CHECK(NULL, transport != NULL);
        free(pem);
        call_func = xenapi_ext_call_func;
        call_handle = transport;
    }

    xen_session *bad = xen_session_login_with_password(call_func, call_handle, argv[2], "wrong",
                                                       xen_api_latest_version);
    CHECK(bad, !bad->ok);
    CHECK_STR(bad, bad->error_description[0], "SESSION_AUTHENTICATION_FAILED");
    xen_session_logout(bad);

    xen_session *s = xen_session_login_with_password(call_func, call_handle, argv[2], argv[3],
                                                     xen_api_latest_version);
    CHECK(s, s->ok);
    CHECK(s, s->api_version != xen_api_unknown_version);
    xen_vm vm = find_halted_guest(s);
    test_getters(s, vm);
    test_setters(s, vm);
    test_create_destroy(s);
    test_async_start(s, vm);
    test_events(s, vm);
    test_failures(s);
    xen_vm_free(vm);
    xen_session_logout(s);
    xenapi_ext_transport_free(transport);
    xen_fini();
    printf("sim: all checks passed\n");
    return 0;
}
