"""`KubernetesTarget`: the Target contract on a real Talos + Kubernetes cluster.

`prepare()` checks the kubeconfig and the API within seconds, then creates the run's namespace
`harness-<run-id>`; `release()` deletes it. Nothing touches the cluster before `prepare()`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, cast

from kubernetes import client as k8s

from harness.errors import HarnessError
from harness.profile import Profile
from harness.targets.base import Faults, NodeInfo, Target, TargetError
from harness.targets.kubernetes import manifests, serverdryrun
from harness.targets.kubernetes.api import KubeAPI, kubeconfig_path, load_client
from harness.targets.kubernetes.apislis import ApiSlis
from harness.targets.kubernetes.bmc import TuringPiBmc
from harness.targets.kubernetes.controlplane import KubeControlPlane, NodeView, TalosNodeView
from harness.targets.kubernetes.errors import APIConflict, APIError
from harness.targets.kubernetes.faults import TalosFaults
from harness.targets.kubernetes.killpods import KillPods
from harness.targets.kubernetes.labdriver import LabNodeDriver
from harness.targets.kubernetes.linkpods import LinkPods, partition_seconds
from harness.targets.kubernetes.network import KubernetesNetwork
from harness.targets.kubernetes.plan import PlanningAPI, RefusingTool, fault_plan
from harness.targets.kubernetes.settings import ClientSettings, WaitSettings
from harness.targets.kubernetes.talos import Talos, talosconfig_path
from harness.targets.kubernetes.workloads import Workloads
from harness.targets.planning import PlannedWrite, PlanSink

if TYPE_CHECKING:
    from harness.targets.kubernetes.nodedebug import NodeDebugPods
    from harness.targets.kubernetes.storage import KubernetesStorage
    from harness.targets.planning import Verdict
    from harness.workloads.fio import FioJob

log = logging.getLogger("harness.kubernetes")

def namespace_stuck_sentence(namespace: Any, waited_s: float) -> str:
    """One sentence on a namespace that is still there: its phase and what its conditions say
    holds it (finalizers, content left), as the namespace controller reports them."""
    name = namespace["metadata"]["name"]
    status = namespace.get("status") or {}
    reasons = [c.get("message", "") for c in status.get("conditions") or []
               if c.get("status") == "True" and c.get("type") in (
                   "NamespaceFinalizersRemaining", "NamespaceContentRemaining",
                   "NamespaceDeletionContentFailure", "NamespaceDeletionDiscoveryFailure")]
    finalizers = (namespace.get("spec") or {}).get("finalizers") or []
    held = "; ".join(r for r in reasons if r) or (
        f"finalizers {', '.join(finalizers)}" if finalizers else "no reason given yet")
    return (f"namespace {name} is still {status.get('phase', 'there')} after {waited_s:g} s: {held} "
            "(not waiting longer; `harness clean` removes it once that is resolved)")


class KubernetesTarget(Target):
    kind = "kubernetes"
    settings = ClientSettings()
    wait = WaitSettings()

    plans_dry_runs = True

    def __init__(self, profile: Profile, *, run_id: str | None = None,
                 plan: PlanSink | None = None) -> None:
        super().__init__(profile, run_id=run_id, plan=plan)
        k = profile.kubernetes
        if k.pod_timeout_s is not None:
            self.wait = replace(self.wait, pod_timeout_s=k.pod_timeout_s)
        self.talos = Talos(talosconfig=talosconfig_path(k.talosconfig))
        self.bmc = TuringPiBmc(k.bmc) if k.bmc is not None else None
        self._api: KubeAPI | None = None
        self._say: Callable[[str], None] = log.warning
        if plan is not None:  # plan mode: writes go to the sink; reads and node calls refuse
            # The stand-ins answer the same calls with a refusal, so they are typed as what they
            # replace: any call that would touch the cluster fails loudly instead.
            self._api = cast(KubeAPI, PlanningAPI(plan))
            self.talos = cast(Talos, RefusingTool("talosctl"))
            self.bmc = cast(TuringPiBmc, RefusingTool("BMC")) if self.bmc is not None else None
        self._workloads: Workloads | None = None
        self._network: KubernetesNetwork | None = None
        self._node_debug: NodeDebugPods | None = None  # testinfra is imported on first use
        self._namespace_created = False
        self.lab_driver = LabNodeDriver(profile) if k.node_driver == "lab" else None
        self.talos_view = TalosNodeView(profile=profile, talos=self.talos)
        self.link_pods = LinkPods(api=lambda: self.api, namespace=lambda: self.namespace,
                                  run_id=lambda: self.run_id, image=profile.images.netshoot,
                                  address_of=self.address_of, wait=lambda: self.wait)
        self.kill_pods = KillPods(api=lambda: self.api, namespace=lambda: self.namespace,
                                  run_id=lambda: self.run_id, image=profile.images.debug,
                                  wait=lambda: self.wait)
        nodes: NodeView
        self._faults: Faults
        if self.lab_driver is not None:  # node operations by the lab; the API is the real one
            self.events = self.lab_driver.events
            self._faults, nodes = self.lab_driver.faults, self.lab_driver
        else:
            self._faults = TalosFaults(
                talos=self.talos,
                bmc=self.bmc,
                address_of=self.address_of,
                events=self.events,
                link_pods=self.link_pods,
                kill_pods=self.kill_pods,
            )
            nodes = self.talos_view
        self._controlplane = KubeControlPlane(
            profile=profile,
            nodes=nodes,
            api_at=self.api_at,
            namespace=lambda: self.namespace,
            run_id=lambda: self.run_id,
        )

    def plan_fault(self, action: str, node: str, service: str | None = None,
                   duration_s: float | None = None, rate_mbit: float | None = None) -> str:
        """What a fault would call on this target; a fault's pod (partition, shaped link, kill)
        goes into the plan sink."""
        refused = self.faults.refusal(action, service)
        if refused is not None:
            return f"refuse: {refused}"
        bmc = self.profile.kubernetes.bmc
        heal_after_s = partition_seconds(duration_s)
        bodies = {"partition": lambda: self.link_pods.partition_body(node, duration_s),
                  "degrade_link": lambda: self.link_pods.shape_body(node, rate_mbit or 0.0),
                  "kill": lambda: self.kill_pods.body(node, service or "")}
        if self.lab_driver is not None and action == "kill":  # the lab's node driver kills it
            return f"SIGKILL {service} on {node} (the lab's node driver), undo: start it again"
        if action in bodies and self.plan_sink is not None:
            body = bodies[action]()
            self.plan_sink.record(
                PlannedWrite("create", "Pod", body["metadata"]["name"], self.namespace, body,
                             f"fault: {action} {node}, when the step lands on it"))
        return fault_plan(
            action,
            node=node,
            address=self.address_of(node),
            service=service,
            bmc_slot=bmc.slots.get(node) if bmc is not None else None,
            heal_after_s=heal_after_s,
            rate_mbit=rate_mbit,
        )

    def plan_background_fio(self, job: FioJob, size_gib: float, disrupted: Sequence[str]) -> str:
        """The writer's PVC and pod go into the plan sink, on the node the run would pick."""
        from harness.targets.kubernetes.fiowriter import writer_objects

        objects = writer_objects(self.profile, run_id=self.run_id, job=job, size_gib=size_gib,
                                 avoid=disrupted)
        for body, purpose in objects:
            if self.plan_sink is not None:
                self.plan_sink.record(PlannedWrite("create", body["kind"], body["metadata"]["name"],
                                                   self.namespace, body, purpose))
        pod = objects[-1][0]
        return (f"on {pod['spec']['nodeName']}: create {' and '.join(b['kind'] for b, _ in objects)} "
                f"{pod['metadata']['name']} (fio prints its report every second to the pod's log; "
                f"the pod ends within {pod['spec']['activeDeadlineSeconds']} s); undo: read the log, "
                "delete the pod, then the PVC")

    def plan_suite_objects(self, areas: set[str]) -> list[PlannedWrite]:
        """Objects the suites of `areas` (controlplane, nodes, ...) create, one per kind of use."""
        planned: list[PlannedWrite] = []
        if "controlplane" in areas:
            name = manifests.object_name("roundtrip", "vip", "0")
            body = manifests.configmap(name, run_id=self.run_id, data={"value": name})
            planned.append(PlannedWrite("create", "ConfigMap", name, self.namespace, body,
                                        "each API roundtrip: create, read, delete (numbered)"))
        if "nodes" in areas:
            from harness.targets.kubernetes.nodedebug import node_debug_pod

            for node in self.profile.nodes:
                body = node_debug_pod(node.name, run_id=self.run_id, image=self.profile.images.debug)
                planned.append(PlannedWrite("create", "Pod", body["metadata"]["name"],
                                            self.namespace, body, f"node facts of {node.name}"))
        if "network" in areas:
            from harness.targets.kubernetes import netmanifests

            for body, namespace, purpose in netmanifests.plan_objects(
                    self.profile, run_id=self.run_id, run_namespace=self.namespace):
                planned.append(PlannedWrite("create", body["kind"], body["metadata"]["name"],
                                            namespace, body, purpose))
        if "storage" in areas:
            from harness.targets.kubernetes.storage import plan_objects

            for body, purpose in plan_objects(self.profile, run_id=self.run_id):
                meta = body["metadata"]
                planned.append(PlannedWrite("create", body["kind"], meta["name"], self.namespace,
                                            body, purpose))
        return planned

    def host(self, node: str) -> Any:
        """A testinfra `Host` whose commands run in a privileged node-debug pod on `node`."""
        self.address_of(node)  # an unknown node fails before any pod is created
        if self._node_debug is None:
            from harness.targets.kubernetes.nodedebug import (
                CONTAINER,
                NODE_COMMAND_TIMEOUT_S,
                NodeDebugPods,
            )

            self._node_debug = NodeDebugPods(
                api=lambda: self.api, namespace=lambda: self.namespace, run_id=lambda: self.run_id,
                image=self.profile.images.debug,
                wait_ready=lambda ns, pod: self.workloads.wait_pod(ns, pod),
                exec_in=lambda ns, pod, argv: self.workloads.exec(
                    ns, pod, argv, container=CONTAINER, timeout_s=NODE_COMMAND_TIMEOUT_S))
        return self._node_debug.host(node)

    @property
    def namespace(self) -> str:
        return manifests.namespace_name(self.run_id)

    @property
    def api(self) -> KubeAPI:
        if self._api is None:
            self._api = self._cluster_api()
        return self._api

    def _cluster_api(self) -> KubeAPI:
        client = load_client(
            kubeconfig=kubeconfig_path(self.profile.kubernetes.kubeconfig),
            context=self.profile.kubernetes.context,
            settings=self.settings,
        )
        return KubeAPI(api_client=client, settings=self.settings)

    def server_check(self, writes: Sequence[PlannedWrite]) -> tuple[list[Verdict], str]:
        """Plan mode: the cluster's own verdict on each planned create (a server-side dry run,
        nothing stored), or no verdicts and why the cluster could not give them."""
        try:
            api = self._cluster_api()
        except HarnessError as error:
            return [], str(error)
        reason = serverdryrun.unreachable(api)
        if reason is not None:
            return [], reason
        return serverdryrun.check_plan(api, writes), ""

    def api_at(self, host_port: str) -> KubeAPI:
        """The same credentials, but requests go to `host_port` (the VIP, or one member)."""
        cached: dict[str, KubeAPI] = self.__dict__.setdefault("_api_at", {})
        if host_port not in cached:
            cached[host_port] = self._pinned_api(host_port)
        return cached[host_port]

    def _pinned_api(self, host_port: str) -> KubeAPI:
        """A new adapter with a connection pool of its own, whose requests go to `host_port`."""
        configuration: Any = self.api.api_client.configuration
        scheme = str(configuration.host).split("://", 1)[0]
        pinned = k8s.Configuration()
        pinned.__dict__.update(configuration.__dict__)
        pinned.host = host = f"{scheme}://{host_port}"
        reload_credentials = configuration.refresh_api_key_hook

        # The kubeconfig loader's refresh hook re-applies the whole kubeconfig, server
        # included, before requests, and installs itself again over ours (a bearer token's):
        # keep refreshed credentials, but keep our address and our hook.
        def refresh(config: Any) -> None:
            if reload_credentials is not None:
                reload_credentials(config)
            config.host = host
            config.refresh_api_key_hook = refresh

        pinned.refresh_api_key_hook = refresh
        return KubeAPI(api_client=k8s.ApiClient(pinned), settings=self.settings)

    def api_slis(self) -> ApiSlis:
        endpoint = self.controlplane.endpoint
        return ApiSlis(new_client=lambda: self._pinned_api(endpoint), api=self.api,
                       namespace=self.namespace, run_id=self.run_id, image=self.profile.images.debug)

    def address_of(self, node: str) -> str:
        try:
            return str(self.profile.node(node).address)
        except KeyError as error:
            raise TargetError(str(error.args[0])) from None

    # -- session ---------------------------------------------------------------------------
    def show_progress(self, write: Callable[[str], None]) -> None:
        self._say = write
        if self.lab_driver is not None:  # the Kubernetes lab comes up in prepare()
            self.lab_driver.show_progress(write)

    def prepare(self) -> None:
        if self.plan_sink is not None:  # a plan never checks reachability: it sends nothing
            self.api.create_namespace(manifests.namespace(self.run_id))
            self._namespace_created = True
            return
        if self.lab_driver is not None:
            self.lab_driver.prepare()  # the Kubernetes lab comes up unless it runs already
        try:
            self.api.version(timeout_s=self.settings.reachability_timeout_s, attempts=1)
        except APIError as error:
            from harness.targets.kubernetes.reach import around_the_vip

            reached = around_the_vip(self.profile, self.api.host, error, pinned=self._pinned_api,
                                     timeout_s=self.settings.reachability_timeout_s)
            self._api = reached.api
            self._say(reached.sentence)
        from harness.targets.kubernetes import permissions

        permissions.check(self.api, permissions.SESSION, self.namespace)
        # Marked before the call: a Ctrl-C while the create is in flight may leave a namespace
        # that landed, and release() must delete it (a namespace that never came is NotFound).
        self._namespace_created = True
        try:
            self.api.create_namespace(manifests.namespace(self.run_id))
        except APIConflict:
            pass  # a retried create that had landed: the namespace is ours by its name
        except APIError as error:
            if not error.retryable:  # refused outright: there is nothing to delete
                self._namespace_created = False
            raise
        log.info("created namespace %s", self.namespace)

    def preflight(self, needs: set[str]) -> None:
        from harness.targets.kubernetes.preflight import (
            planned_preflight,
            preflight_error,
            preflight_images,
        )

        if self.plan_sink is None:
            from harness.targets.kubernetes import permissions

            permissions.check(self.api, permissions.needed(needs), self.namespace)
        images = preflight_images(self.profile, needs)
        if not images or not self.profile.kubernetes.preflight:
            return
        nodes = [node.name for node in self.profile.nodes]
        if self.plan_sink is not None:  # a plan lists the pods; it can't wait for them
            for write in planned_preflight(images, nodes=nodes, run_id=self.run_id,
                                           namespace=self.namespace):
                self.plan_sink.record(write)
            return
        self.workloads.progress(f"preflight: {len(images)} image(s) on {len(nodes)} node(s)")
        problems = self.workloads.preflight(namespace=self.namespace, run_id=self.run_id,
                                            nodes=nodes, images=images)
        if problems:
            raise preflight_error(problems, len(images) * len(nodes))

    def release(self) -> None:
        if self._network is not None:
            self._network.close()
        try:
            if self._namespace_created:
                self.api.delete_namespace(self.namespace)
                self._namespace_created = False
                if self.plan_sink is None:  # a plan only lists the deletion
                    self._wait_namespace_gone()
        finally:
            if self.lab_driver is not None:
                self.lab_driver.release()  # down only if this session brought it up

    def _wait_namespace_gone(self) -> None:
        """Bounded: a namespace held by a finalizer is reported with what holds it, not waited
        on forever (`harness clean` removes it once the finalizer is gone)."""
        deadline = time.monotonic() + self.wait.namespace_gone_timeout_s
        found = self.api.read_namespace(self.namespace)
        while found is not None and time.monotonic() < deadline:
            time.sleep(self.wait.poll_interval_s)
            found = self.api.read_namespace(self.namespace)
        if found is None:
            log.info("deleted namespace %s", self.namespace)
            return
        log.warning("%s", namespace_stuck_sentence(found, self.wait.namespace_gone_timeout_s))

    # -- capabilities ----------------------------------------------------------------------
    def nodes(self) -> list[NodeInfo]:
        found = {n["metadata"]["name"]: n for n in self.api.list_nodes()}
        infos = []
        for node in self.profile.nodes:
            obj = found.get(node.name) or {}
            conditions = (obj.get("status") or {}).get("conditions") or []
            ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)
            roles = tuple(
                sorted(
                    key.removeprefix("node-role.kubernetes.io/")
                    for key in (obj.get("metadata") or {}).get("labels") or {}
                    if key.startswith("node-role.kubernetes.io/")
                )
            ) or ("worker",)
            infos.append(
                NodeInfo(
                    name=node.name, address=str(node.address), roles=roles, ready=bool(obj) and ready
                )
            )
        return infos

    @property
    def controlplane(self) -> KubeControlPlane:
        return self._controlplane

    @property
    def faults(self) -> Faults:
        return self._faults

    @property
    def workloads(self) -> Workloads:
        if self._workloads is None:
            self._workloads = Workloads(api=lambda: self.api, wait=self.wait)
        return self._workloads

    @property
    def network(self) -> KubernetesNetwork:
        if self._network is None:
            self._network = KubernetesNetwork(api=lambda: self.api, workloads=self.workloads,
                                              profile=self.profile, run_id=lambda: self.run_id)
        return self._network

    @property
    def storage(self) -> KubernetesStorage:
        if "_storage" not in self.__dict__:
            from harness.targets.kubernetes.storage import KubernetesStorage

            self.__dict__["_storage"] = KubernetesStorage(
                api=lambda: self.api, workloads=self.workloads, profile=self.profile,
                run_id=lambda: self.run_id, namespace=lambda: self.namespace)
        storage: KubernetesStorage = self.__dict__["_storage"]
        return storage

    def data_path(self, node: str) -> str:
        """Talos' /var through the node-debug pod's host mount; on the Kubernetes lab kwok runs
        commands on the node itself, whose data disk is the lab's."""
        if self.lab_driver is not None:
            return self.lab_driver.lab.data_path(node)
        self.address_of(node)
        return "/host/var"

    def components(self) -> dict[str, str]:
        found: dict[str, str] = {}
        if self.plan_sink is not None:
            return found
        try:
            found["kubernetes"] = str(self.api.version(attempts=1).get("gitVersion", ""))
            if self.lab_driver is not None:
                found.update(self.lab_driver.components())
                return found
            tags = self.talos.versions([str(n.address) for n in self.profile.nodes])
            if tags:
                found["talos"] = sorted(set(tags.values()))[-1]
            from harness.targets.kubernetes.versions import cluster_versions

            found.update(cluster_versions(self.api, self.profile))
        except (APIError, TargetError) as error:
            log.warning("component versions unknown: %s", error)
        return found

    def with_settings(self, settings: ClientSettings) -> None:
        """Tests shorten timeouts and retries; only before the first API call."""
        self.settings = replace(settings)
