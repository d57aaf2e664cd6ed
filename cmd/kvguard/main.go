// Command kvguard judges Azure Key Vaults against Microsoft Defender for
// Cloud's Key Vault recommendations. See internal/cli for the commands.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/kvguard/kvguard/internal/cli"
)

func main() {
	// The first Ctrl-C or SIGTERM stops the scan, which writes what it
	// judged; a second one ends kvguard at once (the default handling is
	// back once the first has been seen).
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop()
	}()
	code := cli.Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
