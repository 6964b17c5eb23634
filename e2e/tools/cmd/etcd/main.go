// etcd for the end-to-end cluster, built from go.etcd.io/etcd/server/v3 at the version k8s.io/kubernetes itself
// links (see go.mod). etcd's own module has relative replace directives, so `go install ...@version` refuses it.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
