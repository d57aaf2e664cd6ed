package jobs

import (
	"context"
	"strconv"
	"time"
)

// lease takes the subscription's lease and one of the tenant's slots for
// holder, and keeps them renewed until release is called. ok is false
// (and nothing is held) when either is taken by others.
func (c *Client) lease(ctx context.Context, sub, holder string) (release func(), ok bool, err error) {
	ttl := c.opts.LeaseTTL
	subKey := "subscription:" + sub
	if ok, err := c.st.TryLease(ctx, subKey, holder, ttl); err != nil || !ok {
		return nil, false, err
	}
	slot := ""
	for i := range c.opts.TenantConcurrency {
		key := "tenant-slot:" + strconv.Itoa(i)
		got, err := c.st.TryLease(ctx, key, holder, ttl)
		if err != nil {
			_ = c.st.ReleaseLease(ctx, subKey, holder)
			return nil, false, err
		}
		if got {
			slot = key
			break
		}
	}
	if slot == "" {
		return nil, false, c.st.ReleaseLease(ctx, subKey, holder)
	}
	renewCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(ttl / 3)
		defer t.Stop()
		for {
			select {
			case <-renewCtx.Done():
				return
			case <-t.C:
				for _, k := range []string{subKey, slot} {
					if ok, err := c.st.TryLease(renewCtx, k, holder, ttl); (err != nil || !ok) && renewCtx.Err() == nil {
						c.log.Warn("lease not renewed", "lease", k, "holder", holder, "err", err)
					}
				}
			}
		}
	}()
	return func() {
		stop()
		<-done
		bg := context.WithoutCancel(ctx)
		_ = c.st.ReleaseLease(bg, slot, holder)
		_ = c.st.ReleaseLease(bg, subKey, holder)
	}, true, nil
}
