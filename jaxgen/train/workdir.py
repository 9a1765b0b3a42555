"""Keeping a work directory safe: one trainer at a time, and no config it does not hold.

  WorkdirLock     `workdir/.lock` holds the trainer's host and pid; a second trainer on the
                  same directory refuses at once, naming the holder, and a lock left by a
                  killed process on this host is detected (its pid is gone) and taken over.
  check_config    a work directory with checkpoints accepts only the config they were trained
                  with (the keys that shape the state: task, model, data.name); anything else
                  is refused before `config.json` is touched.
"""
from __future__ import annotations

import json
import os
import socket

LOCK = '.lock'
# Config keys whose change makes the saved state another model's.
STATE_KEYS = ('task', 'model', 'data.name', 'data.preprocess')


def _pid_alive(pid: int) -> bool:
  try:
    os.kill(pid, 0)
  except ProcessLookupError:
    return False
  except PermissionError:
    return True
  return True


class WorkdirLock:
  """An exclusive lock on a work directory for one training process (a context manager)."""

  def __init__(self, workdir: str):
    self.path = os.path.join(workdir, LOCK)
    self.held = False

  def acquire(self):
    me = {'host': socket.gethostname(), 'pid': os.getpid()}
    for _ in range(2):
      try:
        fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
      except FileExistsError:
        holder = self._holder()
        stale = (holder.get('host') == me['host'] and isinstance(holder.get('pid'), int) and
                 not _pid_alive(holder['pid']))
        if stale or not holder:
          os.remove(self.path)      # a killed process's lock (or an empty, torn one)
          continue
        raise ValueError(
            f'Work directory {os.path.dirname(self.path)} is in use by another trainer (pid '
            f'{holder.get("pid")} on host {holder.get("host")}): wait for it, stop it, or use '
            f'another --workdir (a lock left by a dead process on another host: remove '
            f'{self.path}).') from None
      with os.fdopen(fd, 'w', encoding='utf-8') as f:
        json.dump(me, f)
      self.held = True
      return self
    raise ValueError(f'Could not take the lock {self.path}.')

  def _holder(self) -> dict:
    try:
      with open(self.path, encoding='utf-8') as f:
        return json.load(f)
    except (OSError, ValueError):
      return {}

  def release(self):
    if self.held:
      try:
        os.remove(self.path)
      except FileNotFoundError:
        pass
      self.held = False

  def __enter__(self):
    return self.acquire()

  def __exit__(self, *exc):
    self.release()
    return False


def _get(d: dict, dotted: str):
  for part in dotted.split('.'):
    if not isinstance(d, dict) or part not in d:
      return '<absent>'
    d = d[part]
  return d


def _diff(a, b, prefix: str) -> list[str]:
  if isinstance(a, dict) and isinstance(b, dict):
    out = []
    for k in sorted(set(a) | set(b)):
      out += _diff(a.get(k, '<absent>'), b.get(k, '<absent>'), f'{prefix}.{k}')
    return out
  return [] if a == b else [f'{prefix}: {a!r} there, {b!r} now']


def check_config(workdir: str, config_json: str) -> None:
  """Refuses a config whose state-shaping keys differ from the saved `config.json`'s.

  Args:
    workdir: the work directory (with checkpoints).
    config_json: the new config as JSON text.
  Raises:
    ValueError: naming the first differing keys and the way out.
  """
  path = os.path.join(workdir, 'config.json')
  if not os.path.exists(path):
    return
  try:
    with open(path, encoding='utf-8') as f:
      old = json.load(f)
  except (OSError, ValueError):
    return
  new = json.loads(config_json)
  diffs = []
  for key in STATE_KEYS:
    diffs += _diff(_get(old, key), _get(new, key), key)
  if diffs:
    shown = '; '.join(diffs[:3]) + ('; ...' if len(diffs) > 3 else '')
    raise ValueError(f'Work directory {workdir} holds checkpoints of another config ({shown}): '
                     'resume with the same config, or train this one in another --workdir.')
