/*
 * A program written for Xen 4.4's libxen, run against the simulator in xend mode:
 *   xend URL        (http://host:port or unix:/path)
 * It talks through the library's built-in transport (xenapi_ext_transport.h) and does what
 * libxen's own example programs do. Exits 1 with a message at the first unexpected result.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xen/api/xen_all.h>
#include <xen/api/xenapi_ext_transport.h>

#define DOM0 "00000000-0000-0000-0000-000000000000"

static void print_error(const xen_session *s)
{
    fprintf(stderr, "error:");
    for (int i = 0; i < s->error_description_count; i++)
        fprintf(stderr, " %s", s->error_description[i]);
    fprintf(stderr, "\n");
}

#define CHECK(cond)                                                                        \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "FAILED: %s (line %d)\n", #cond, __LINE__);                    \
            exit(1);                                                                       \
        }                                                                                  \
    } while (0)

#define CALL(s, call)                                                                      \
    do {                                                                                   \
        if (!(call)) {                                                                     \
            print_error(s);                                                                \
            fprintf(stderr, "FAILED: %s (line %d)\n", #call, __LINE__);                    \
            exit(1);                                                                       \
        }                                                                                  \
    } while (0)

static xen_string_string_map *one_entry_map(const char *k, const char *v)
{
    xen_string_string_map *m = xen_string_string_map_alloc(1);
    m->contents[0].key = strdup(k);
    m->contents[0].val = strdup(v);
    return m;
}

static enum xen_vm_power_state power(xen_session *s, xen_vm vm)
{
    enum xen_vm_power_state st = XEN_VM_POWER_STATE_UNKNOWN;
    CALL(s, xen_vm_get_power_state(s, &st, vm));
    return st;
}

/* Reads event batches until one has an event of `operation` about `ref`. */
static void expect_event(xen_session *s, const char *cls, const char *ref,
                         enum xen_event_operation operation)
{
    for (int round = 0; round < 20; round++) {
        struct xen_event_record_set *events = NULL;
        CALL(s, xen_event_next(s, &events));
        int found = 0;
        for (size_t i = 0; i < events->size; i++) {
            xen_event_record *e = events->contents[i];
            if (e->XEN_CLAZZ && e->ref && strcmp(e->XEN_CLAZZ, cls) == 0 &&
                strcmp(e->ref, ref) == 0 && e->operation == operation && e->id > 0)
                found = 1;
        }
        xen_event_record_set_free(events);
        if (found) {
            printf("event: %s %s %s\n", cls, xen_event_operation_to_string(operation), ref);
            return;
        }
    }
    fprintf(stderr, "FAILED: no %s event for %s %s\n", xen_event_operation_to_string(operation),
            cls, ref);
    exit(1);
}

static void *opt(const char *ref)
{
    xen_vm_record_opt *o = xen_vm_record_opt_alloc();
    o->is_record = false;
    o->u.handle = strdup(ref);
    return o;
}

static void print_vm(const xen_vm_record *r)
{
    printf("VM %s\n  uuid %s\n  power_state %s\n  name_label %s\n  name_description %s\n",
           (char *)r->handle, r->uuid, xen_vm_power_state_to_string(r->power_state),
           r->name_label, r->name_description);
    printf("  user_version %lld\n  is_a_template %d\n  auto_power_on %d\n",
           (long long)r->user_version, r->is_a_template, r->auto_power_on);
    printf("  memory %lld %lld %lld %lld\n", (long long)r->memory_static_min,
           (long long)r->memory_dynamic_min, (long long)r->memory_dynamic_max,
           (long long)r->memory_static_max);
    printf("  VCPUs max %lld at_startup %lld\n", (long long)r->vcpus_max,
           (long long)r->vcpus_at_startup);
    printf("  actions %s %s %s\n", xen_on_normal_exit_to_string(r->actions_after_shutdown),
           xen_on_normal_exit_to_string(r->actions_after_reboot),
           xen_on_crash_behaviour_to_string(r->actions_after_crash));
    printf("  consoles %zu VIFs %zu VBDs %zu crash_dumps %zu\n",
           r->consoles ? r->consoles->size : 0, r->vifs ? r->vifs->size : 0,
           r->vbds ? r->vbds->size : 0, r->crash_dumps ? r->crash_dumps->size : 0);
    printf("  PV %s|%s|%s|%s|%s HVM %s\n", r->pv_bootloader, r->pv_kernel, r->pv_ramdisk,
           r->pv_args, r->pv_bootloader_args, r->hvm_boot_policy);
    for (size_t i = 0; r->platform && i < r->platform->size; i++)
        printf("  platform %s=%s\n", r->platform->contents[i].key, r->platform->contents[i].val);
    for (size_t i = 0; r->other_config && i < r->other_config->size; i++)
        printf("  other_config %s=%s\n", r->other_config->contents[i].key,
               r->other_config->contents[i].val);
    printf("  domid %lld is_control_domain %d security_label %s pool_name %s cpu_pool %zu\n",
           (long long)r->domid, r->is_control_domain, r->security_label, r->pool_name,
           r->cpu_pool ? r->cpu_pool->size : 0);
    if (r->resident_on && !r->resident_on->is_record)
        printf("  resident_on %s\n", (char *)r->resident_on->u.handle);
    if (r->metrics && !r->metrics->is_record)
        printf("  metrics %s\n", (char *)r->metrics->u.handle);
}

int main(int argc, char **argv)
{
    CHECK(argc == 2);
    char *err = NULL;
    xenapi_ext_transport *t = xenapi_ext_transport_new(argv[1], NULL, &err);
    if (!t) {
        fprintf(stderr, "transport: %s\n", err);
        free(err);
        return 1;
    }
    xen_init();

    /* Log in with libxen's four arguments. */
    xen_session *s = xen_session_login_with_password(xenapi_ext_call_func, t, "root", "xenroot");
    if (!s->ok)
        print_error(s);
    CHECK(s->ok);
    CHECK(strlen(s->session_id) == 36); /* xend's session ids are UUIDs */

    /* The host and its software version. */
    xen_host host = NULL;
    CALL(s, xen_session_get_this_host(s, &host, s));
    xen_string_string_map *sv = NULL;
    CALL(s, xen_host_get_software_version(s, &sv, host));
    int has_xen = 0;
    for (size_t i = 0; i < sv->size; i++) {
        printf("software_version %s=%s\n", sv->contents[i].key, sv->contents[i].val);
        has_xen |= strcmp(sv->contents[i].key, "Xen") == 0;
    }
    CHECK(has_xen);
    xen_string_string_map_free(sv);
    xen_host_record *hr = NULL;
    CALL(s, xen_host_get_record(s, &hr, host));
    CHECK(hr->name_label && hr->resident_cpu_pools && hr->resident_cpu_pools->size >= 1);
    printf("host %s (%s), %zu cpu pool(s)\n", hr->name_label, hr->uuid,
           hr->resident_cpu_pools->size);
    xen_host_record_free(hr);
    xen_session_record *sr = NULL;
    CALL(s, xen_session_get_record(s, &sr, s));
    CHECK(sr->uuid && strcmp(sr->uuid, s->session_id) == 0); /* no handle: uuid comes first */
    CHECK(sr->this_host && !sr->this_host->is_record &&
          strcmp((char *)sr->this_host->u.handle, (char *)host) == 0);
    xen_session_record_free(sr);
    char *this_user = NULL;
    CALL(s, xen_session_get_this_user(s, &this_user, s));
    printf("this_user %s\n", this_user);
    free(this_user);

    /* Domain-0, by its well-known UUID. */
    xen_vm dom0 = NULL;
    CALL(s, xen_vm_get_by_uuid(s, &dom0, DOM0));
    bool control = false;
    CALL(s, xen_vm_get_is_control_domain(s, &control, dom0));
    CHECK(control);
    CHECK(power(s, dom0) == XEN_VM_POWER_STATE_RUNNING);
    xen_vm_free(dom0);

    /* Failures are stored on the session; nothing is sent until they are cleared. */
    xen_vm missing = NULL;
    CHECK(!xen_vm_get_by_uuid(s, &missing, "not-a-uuid"));
    CHECK(!s->ok && s->error_description_count >= 1);
    printf("failure: %s\n", s->error_description[0]);
    char stale[1];
    struct xen_vm_set *blocked = (struct xen_vm_set *)stale;
    CHECK(!xen_vm_get_all(s, &blocked));
    CHECK(blocked == NULL); /* cleared although nothing was sent */
    xen_vm_set_free(blocked);
    xen_session_clear_error(s);
    CHECK(s->ok);

    /* Watch VMs. */
    xen_string_set *classes = xen_string_set_alloc(1);
    classes->contents[0] = strdup("VM");
    CALL(s, xen_event_register(s, classes));

    /* A VM from a record filled with the caller's own malloc'd strings and maps. */
    xen_vm_record *r = xen_vm_record_alloc();
    r->name_label = strdup("libxen-guest");
    r->name_description = strdup("created by a libxen program");
    r->user_version = 1;
    r->memory_static_max = 256 << 20;
    r->memory_dynamic_max = 256 << 20;
    r->memory_dynamic_min = 128 << 20;
    r->memory_static_min = 64 << 20;
    r->vcpus_max = 2;
    r->vcpus_at_startup = 1;
    r->actions_after_shutdown = XEN_ON_NORMAL_EXIT_DESTROY;
    r->actions_after_reboot = XEN_ON_NORMAL_EXIT_RESTART;
    r->actions_after_crash = XEN_ON_CRASH_BEHAVIOUR_PRESERVE;
    r->pv_bootloader = strdup("pygrub");
    r->pv_kernel = strdup("");
    r->pv_ramdisk = strdup("");
    r->pv_args = strdup("console=hvc0");
    r->pv_bootloader_args = strdup("");
    r->hvm_boot_policy = strdup("");
    r->pci_bus = strdup("");
    r->vcpus_params = one_entry_map("weight", "256");
    r->platform = one_entry_map("acpi", "1");
    r->other_config = one_entry_map("created_by", "libxen test");
    xen_vm vm = NULL;
    CALL(s, xen_vm_create(s, &vm, r));
    xen_vm_record_free(r);
    printf("created VM %s\n", (char *)vm);
    CHECK(strlen((char *)vm) == 36); /* refs are UUIDs */
    expect_event(s, "VM", vm, XEN_EVENT_OPERATION_ADD);

    /* By UUID and by name. */
    char *uuid = NULL;
    CALL(s, xen_vm_get_uuid(s, &uuid, vm));
    xen_vm again = NULL;
    CALL(s, xen_vm_get_by_uuid(s, &again, uuid));
    CHECK(strcmp((char *)again, (char *)vm) == 0);
    xen_vm_free(again);
    free(uuid);
    struct xen_vm_set *named = NULL;
    CALL(s, xen_vm_get_by_name_label(s, &named, "libxen-guest"));
    CHECK(named->size == 1 && strcmp((char *)named->contents[0], (char *)vm) == 0);
    xen_vm_set_free(named);

    /* A disk: a VDI in the first SR, attached by a VBD. */
    struct xen_sr_set *srs = NULL;
    CALL(s, xen_sr_get_all(s, &srs));
    CHECK(srs->size >= 1);
    xen_vdi_record *vdir = xen_vdi_record_alloc();
    vdir->name_label = strdup("libxen-disk");
    vdir->name_description = strdup("");
    vdir->sr = opt((char *)srs->contents[0]);
    vdir->virtual_size = 1 << 30;
    vdir->type = XEN_VDI_TYPE_SYSTEM;
    vdir->other_config = xen_string_string_map_alloc(0);
    xen_vdi vdi = NULL;
    CALL(s, xen_vdi_create(s, &vdi, vdir));
    xen_vdi_record_free(vdir);
    xen_sr_set_free(srs);
    xen_vbd_record *vbdr = xen_vbd_record_alloc();
    vbdr->vm = opt(vm);
    vbdr->vdi = opt(vdi);
    vbdr->device = strdup("xvda");
    vbdr->bootable = true;
    vbdr->mode = XEN_VBD_MODE_RW;
    vbdr->type = XEN_VBD_TYPE_DISK;
    vbdr->qos_algorithm_type = strdup("");
    vbdr->qos_algorithm_params = xen_string_string_map_alloc(0);
    xen_vbd vbd = NULL;
    CALL(s, xen_vbd_create(s, &vbd, vbdr));
    xen_vbd_record_free(vbdr);

    /* A network interface on the first network. */
    struct xen_network_set *nets = NULL;
    CALL(s, xen_network_get_all(s, &nets));
    CHECK(nets->size >= 1);
    xen_vif_record *vifr = xen_vif_record_alloc();
    vifr->device = strdup("0");
    vifr->network = opt((char *)nets->contents[0]);
    vifr->vm = opt(vm);
    vifr->mac = strdup("00:16:3e:12:34:56");
    vifr->mtu = 1500;
    vifr->qos_algorithm_type = strdup("");
    xen_vif vif = NULL;
    CALL(s, xen_vif_create(s, &vif, vifr));
    xen_vif_record_free(vifr);
    xen_network_set_free(nets);
    char *mac = NULL;
    CALL(s, xen_vif_get_mac(s, &mac, vif));
    CHECK(strcmp(mac, "00:16:3e:12:34:56") == 0);
    free(mac);

    /* A console. */
    xen_console_record *cr = xen_console_record_alloc();
    cr->protocol = XEN_CONSOLE_PROTOCOL_RFB;
    cr->vm = opt(vm);
    cr->other_config = one_entry_map("vncunused", "1");
    xen_console console = NULL;
    CALL(s, xen_console_create(s, &console, cr));
    xen_console_record_free(cr);
    enum xen_console_protocol protocol = XEN_CONSOLE_PROTOCOL_VT100;
    CALL(s, xen_console_get_protocol(s, &protocol, console));
    printf("console %s protocol %s\n", (char *)console, xen_console_protocol_to_string(protocol));

    /* The full record. */
    xen_vm_record *rec = NULL;
    CALL(s, xen_vm_get_record(s, &rec, vm));
    print_vm(rec);
    CHECK(rec->handle && strcmp((char *)rec->handle, rec->uuid) == 0);
    CHECK(strcmp(rec->name_label, "libxen-guest") == 0);
    CHECK(rec->memory_static_max == 256 << 20 && rec->vcpus_max == 2);
    CHECK(rec->power_state == XEN_VM_POWER_STATE_HALTED);
    CHECK(rec->actions_after_crash == XEN_ON_CRASH_BEHAVIOUR_PRESERVE);
    CHECK(rec->vbds && rec->vbds->size == 1);
    CHECK(rec->vifs && rec->vifs->size == 1);
    CHECK(rec->consoles && rec->consoles->size == 1 && !rec->consoles->contents[0]->is_record &&
          strcmp((char *)rec->consoles->contents[0]->u.handle, (char *)console) == 0);
    CHECK(rec->other_config && rec->other_config->size >= 1);
    xen_vm_record_free(rec);

    /* The lifecycle, each change seen as an event. */
    CALL(s, xen_vm_start(s, vm, false));
    CHECK(power(s, vm) == XEN_VM_POWER_STATE_RUNNING);
    expect_event(s, "VM", vm, XEN_EVENT_OPERATION_MOD);
    CALL(s, xen_vm_pause(s, vm));
    CHECK(power(s, vm) == XEN_VM_POWER_STATE_PAUSED);
    CALL(s, xen_vm_unpause(s, vm));
    CHECK(power(s, vm) == XEN_VM_POWER_STATE_RUNNING);
    /* A wrong state fails on the session. */
    CHECK(!xen_vm_start(s, vm, false));
    printf("start while running: %s\n", s->error_description[0]);
    xen_session_clear_error(s);
    CALL(s, xen_vm_clean_shutdown(s, vm));
    CHECK(power(s, vm) == XEN_VM_POWER_STATE_HALTED);
    expect_event(s, "VM", vm, XEN_EVENT_OPERATION_MOD);

    /* Cpu pools. */
    struct xen_cpu_pool_set *pools = NULL;
    CALL(s, xen_cpu_pool_get_all(s, &pools));
    CHECK(pools->size >= 1);
    xen_cpu_pool_record *pr = NULL;
    CALL(s, xen_cpu_pool_get_record(s, &pr, (xen_cpu_pool)pools->contents[0]));
    printf("cpu_pool %s ncpu %lld sched %s activated %d\n", pr->name_label, (long long)pr->ncpu,
           pr->sched_policy, pr->activated);
    xen_cpu_pool_record_free(pr);
    xen_cpu_pool_set_free(pools);
    xen_cpu_pool_record *npr = xen_cpu_pool_record_alloc();
    npr->name_label = strdup("libxen-pool");
    npr->name_description = strdup("");
    npr->ncpu = 1;
    npr->sched_policy = strdup("credit");
    npr->other_config = xen_string_string_map_alloc(0);
    xen_cpu_pool pool = NULL;
    CALL(s, xen_cpu_pool_create(s, &pool, npr));
    xen_cpu_pool_record_free(npr);
    char *pool_name = NULL;
    CALL(s, xen_cpu_pool_get_name_label(s, &pool_name, pool));
    CHECK(strcmp(pool_name, "libxen-pool") == 0);
    free(pool_name);
    struct xen_cpu_pool_set *by_name = NULL;
    CALL(s, xen_cpu_pool_get_by_name_label(s, &by_name, "libxen-pool"));
    CHECK(by_name->size == 1);
    xen_cpu_pool_set_free(by_name);
    CALL(s, xen_cpu_pool_destroy(s, pool));
    xen_cpu_pool_free(pool);

    /* The security policy type. */
    xs_type xstype = 0;
    CALL(s, xen_xspolicy_get_xstype(s, &xstype));
    printf("xstype %lld\n", (long long)xstype);

    /* Tear down. */
    CALL(s, xen_vm_destroy(s, vm));
    expect_event(s, "VM", vm, XEN_EVENT_OPERATION_DEL);
    CALL(s, xen_event_unregister(s, classes));
    xen_string_set_free(classes);
    xen_console_free(console);
    xen_vif_free(vif);
    xen_vbd_free(vbd);
    xen_vdi_free(vdi);
    xen_vm_free(vm);
    xen_host_free(host);
    xen_session_logout(s);
    xen_fini();
    xenapi_ext_transport_free(t);
    printf("OK\n");
    return 0;
}
