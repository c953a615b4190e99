// Command stampchild stands in for tbot in bench/childdelay: a Go
// hello-world that prints the wall clock, in nanoseconds since the epoch, as
// its main starts, and exits. Asked `version`, it answers as tbot does, so
// that exec's version probe succeeds as it would with tbot.
package main

import (
	"fmt"
	"os"
	"time"
)

func main() {
	now := time.Now().UnixNano()
	if len(os.Args) > 1 && os.Args[1] == "version" {
		fmt.Println("Teleport v17.4.2 git:v17.4.2-0-g0 go1.26")
		return
	}
	fmt.Println(now)
}
