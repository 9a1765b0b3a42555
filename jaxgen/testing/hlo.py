"""Reading compiled HLO text: its computations, and the buffer copies inside while loops.

A `lax.scan` or `lax.while_loop` that carries a large buffer (a generation cache, a ring
buffer of past inputs) should update it in place. When XLA cannot order every read of the
buffer before its in-place write, copy insertion copies the whole buffer on every iteration;
the copy shows as a `copy` instruction of the buffer's shape in the loop's body computation
(`jax.jit(f).lower(...).compile().as_text()`).

Example:

  hlo = jax.jit(generate).lower(params, key).compile().as_text()
  assert not while_body_copies(hlo, {'f32[513,1,64]'})
"""
from __future__ import annotations

import re


def computations(hlo_text: str) -> dict[str, list[str]]:
  """Splits HLO text into its computations.

  Args:
    hlo_text: HLO module text, e.g. `jax.jit(f).lower(x).compile().as_text()`.
  Returns:
    {computation name: its instruction lines, stripped}, in the order of the text.

  Example:

    comps = computations(hlo)
    entry = [name for name in comps if 'main' in name]
  """
  comps, name = {}, None
  for line in hlo_text.splitlines():
    m = re.match(r'^(?:ENTRY\s+)?%?([\w.\-]+)\s.*\{\s*$', line)
    if m and not line.startswith(' '):
      name = m.group(1)
      comps[name] = []
    elif name is not None and line.startswith('  '):
      comps[name].append(line.strip())
  return comps


def while_body_copies(hlo_text: str, shapes: set[str]) -> list[str]:
  """The `copy` instructions inside while-loop bodies that produce one of `shapes`.

  Args:
    hlo_text: HLO module text (after optimisation: `.compile().as_text()`).
    shapes: float32 buffer shapes as HLO writes them, e.g. {'f32[513,1,64]'}.
  Returns:
    One line per copy, 'body name: instruction', sorted by body; empty when no loop body
    copies a buffer of those shapes (a one-off copy outside the loop is not reported).

  Example:

    hlo = jax.jit(step_loop).lower(queue).compile().as_text()
    assert while_body_copies(hlo, {'f32[32,2,8]'}) == []
  """
  comps = computations(hlo_text)
  bodies = set()
  for lines in comps.values():
    for line in lines:
      bodies.update(re.findall(r'body=%?([\w.\-]+)', line))
  out = []
  for body in sorted(bodies):
    for line in comps.get(body, []):
      m = re.search(r'=\s*(f32\[[\d,]+\])\S*\s+copy\(', line)
      if m and m.group(1) in shapes:
        out.append(f'{body}: {line}')
  return out
