// Command stages prints kwok's own default stages (node initialize and lease heartbeat; pod
// ready, complete and delete) as one YAML stream: the kwok of each lab node loads them from its
// config file, the way kwokctl configures kwok, without a copy of them in this repository.
package main

import (
	"fmt"
	"strings"

	nodefast "sigs.k8s.io/kwok/kustomize/stage/node/fast"
	nodelease "sigs.k8s.io/kwok/kustomize/stage/node/heartbeat-with-lease"
	podfast "sigs.k8s.io/kwok/kustomize/stage/pod/fast"
)

func main() {
	stages := []string{
		nodefast.DefaultNodeInit,
		nodelease.DefaultNodeHeartbeatWithLease,
		podfast.DefaultPodReady,
		podfast.DefaultPodComplete,
		podfast.DefaultPodDelete,
	}
	for _, stage := range stages {
		fmt.Printf("---\n%s\n", strings.TrimSpace(stage))
	}
}
