#!/usr/bin/env python3
"""Checks that each target's dependencies in Package.swift are exactly the modules its sources
import (docs/architecture.md's rule); the executables the integration tests run are allowed
extra. Prints each mismatch and exits 1 if there is one."""
import glob, os, re, sys

package = open('Package.swift').read()
products = {'Logging', 'Crypto', 'ArgumentParser'}
targets = {}
for match in re.finditer(r'\.(?:target|executableTarget|testTarget|systemLibrary)\(\s*name:\s*"([^"]+)"', package):
    name, rest = match.group(1), package[match.end():]
    end = rest.find('\n        .') if '\n        .' in rest else len(rest)
    body = rest[:end]
    deps = set()
    start = body.find('dependencies: [')
    if start >= 0:
        depth, i = 0, start + len('dependencies: ')
        for j in range(i, len(body)):
            depth += body[j] == '['
            depth -= body[j] == ']'
            if depth == 0:
                text = body[i:j]
                break
        deps = set(re.findall(r'^\s*"([\w-]+)"|[\[,]\s*"([\w-]+)"', text, re.M) and
                   [a or b for a, b in re.findall(r'(?:^|[\[,])\s*"([\w-]+)"|\.product\(name: "(\w+)"', text, re.M)])
    targets[name] = deps
status = 0
modules = set(targets) | products
for name, deps in targets.items():
    folder = next((d for d in ('Sources/' + name, 'Tests/' + name) if os.path.isdir(d)), None)
    if folder is None or not glob.glob(folder + '/**/*.swift', recursive=True):
        continue
    imports = set()
    for path in glob.glob(folder + '/**/*.swift', recursive=True):
        imports |= set(re.findall(r'^(?:@testable )?import (\w[\w-]*)', open(path).read(), re.M))
    imports &= modules
    allowed_extra = {'gradsieve', 'gradsieve-bench'} if name == 'IntegrationTests' else set()
    if imports - allowed_extra != deps - allowed_extra:
        status = 1
        print(f'{name}: imported but not a dependency: {sorted(imports - deps)}; a dependency never imported: {sorted(deps - allowed_extra - imports)}')
sys.exit(status)
