package source

import (
	"cmp"
	"log/slog"
	"slices"
	"strings"
)

// plan decides, once the walk is over, which deployments are read on
// their own: those named on the command line, and those no other
// deployment of the tree calls. The others are read through their
// callers; deployments that call each other in a cycle that nothing
// outside calls are an error naming the cycle (none of them could be
// read: each is a module of another). The roots are handed out in path
// order; the others are dropped, if they were not already (see
// discoverer).
//
// The calls were gathered as the walk went (see deployment): what is
// left is a pass over the deployments, and a search for the cycles
// among those that were called.
func (d *discovery) plan() {
	nodes := make([]*node, 0, len(d.defs))
	for _, n := range d.defs {
		slices.SortFunc(n.inputs, func(a, b Input) int { return cmp.Compare(a.Path, b.Path) })
		n.callers = d.callers[n.key]
		slices.SortFunc(n.callers, func(a, b *node) int { return cmp.Compare(a.key, b.key) })
		nodes = append(nodes, n)
	}
	slices.SortFunc(nodes, func(a, b *node) int { return cmp.Compare(a.key, b.key) })
	reached := map[*node]bool{}
	var stack []*node
	for _, n := range nodes {
		if n.named || len(n.callers) == 0 {
			reached[n] = true
			stack = append(stack, n)
		}
	}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, t := range d.callees(n) {
			if !reached[t] {
				reached[t] = true
				stack = append(stack, t)
			}
		}
	}
	inCycle := d.cycles(nodes, reached)
	for _, n := range nodes {
		root := n.named || len(n.callers) == 0
		switch {
		case root:
			for _, in := range n.inputs {
				d.input(in)
			}
		case reached[n]:
			for _, in := range n.inputs {
				d.skip(in.Path, slog.LevelInfo, "called by "+n.callers[0].inputs[0].Path+", and read through it")
			}
		case !inCycle[n]:
			for _, in := range n.inputs {
				d.skip(in.Path, slog.LevelInfo, "called only from a cycle of calls (reported), so not read")
			}
		}
		if !root && !n.dropped && d.out.drop != nil {
			n.dropped = true
			for _, in := range n.inputs {
				d.out.drop(in)
			}
		}
	}
}

// callees are the deployments of the tree that n calls.
func (d *discovery) callees(n *node) []*node {
	var out []*node
	for _, c := range n.calls {
		if t := d.defs[d.abs(c)]; t != nil && t != n {
			out = append(out, t)
		}
	}
	return out
}

// cycles reports each group of deployments that no root reaches and that
// nothing outside the group calls: they call each other in a cycle. It
// returns the members of the groups reported.
func (d *discovery) cycles(nodes []*node, reached map[*node]bool) map[*node]bool {
	var rest []*node
	for _, n := range nodes {
		if !reached[n] {
			rest = append(rest, n)
		}
	}
	in := map[*node]bool{}
	for _, group := range components(rest, func(n *node) []*node {
		var out []*node
		for _, t := range d.callees(n) {
			if !reached[t] {
				out = append(out, t)
			}
		}
		return out
	}) {
		member := map[*node]bool{}
		for _, n := range group {
			member[n] = true
		}
		source := true
		for _, n := range group {
			for _, c := range n.callers {
				source = source && member[c]
			}
		}
		if !source {
			continue // called from another cycle: that one is reported
		}
		for _, n := range group {
			in[n] = true
		}
		cycle := d.shortestCycle(group[0], member)
		names := make([]string, len(cycle))
		for i, n := range cycle {
			names[i] = n.inputs[0].Path
		}
		d.errorf(names[0], nil, "a cycle of module calls: %s; none of them is read, since each is called by another: break the cycle", strings.Join(names, " → "))
	}
	return in
}

// shortestCycle is the shortest path of calls from start back to start
// within the group, start first and last; callees are taken in path
// order, so that the cycle named is always the same.
func (d *discovery) shortestCycle(start *node, member map[*node]bool) []*node {
	prev := map[*node]*node{}
	queue := []*node{start}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		callees := d.callees(n)
		slices.SortFunc(callees, func(a, b *node) int { return cmp.Compare(a.key, b.key) })
		for _, t := range callees {
			if !member[t] {
				continue
			}
			if t == start {
				path := []*node{start}
				for at := n; at != start; at = prev[at] {
					path = append(path, at)
				}
				path = append(path, start)
				slices.Reverse(path[1 : len(path)-1])
				return path
			}
			if _, seen := prev[t]; !seen {
				prev[t] = n
				queue = append(queue, t)
			}
		}
	}
	return []*node{start, start}
}

// components are the strongly connected components of the graph given by
// nodes (sorted) and edges, each sorted as nodes are, in the order of
// their first member (Tarjan's algorithm).
func components(nodes []*node, edges func(*node) []*node) [][]*node {
	index := map[*node]int{}
	low := map[*node]int{}
	onStack := map[*node]bool{}
	var stack []*node
	var out [][]*node
	var visit func(n *node)
	visit = func(n *node) {
		index[n], low[n] = len(index), len(index)
		stack = append(stack, n)
		onStack[n] = true
		for _, t := range edges(n) {
			if _, seen := index[t]; !seen {
				visit(t)
				low[n] = min(low[n], low[t])
			} else if onStack[t] {
				low[n] = min(low[n], index[t])
			}
		}
		if low[n] != index[n] {
			return
		}
		var group []*node
		for {
			t := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			onStack[t] = false
			group = append(group, t)
			if t == n {
				break
			}
		}
		out = append(out, group)
	}
	for _, n := range nodes {
		if _, seen := index[n]; !seen {
			visit(n)
		}
	}
	for _, g := range out {
		slices.SortFunc(g, func(a, b *node) int { return cmp.Compare(a.key, b.key) })
	}
	slices.SortFunc(out, func(a, b []*node) int { return cmp.Compare(a[0].key, b[0].key) })
	return out
}
