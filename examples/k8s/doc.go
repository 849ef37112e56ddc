// Package k8s holds the Kubernetes example of a distributed throng test
// (eventstore-load.yaml, made by `throng k8s-manifests`) and its tests:
// every manifest decodes strictly into the Kubernetes API types, and the
// pods' shell steps, run locally with the real throng binary, split the
// test into segments and merge it into one verdict.
//
// It is a module of its own so that the Kubernetes API types it tests
// against stay out of throng's dependencies.
package k8s
