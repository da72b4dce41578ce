#!/bin/bash
rm -rf /testbed/
mkdir -p /testbed/dir1
echo 'Hello' > /testbed/dir1/a.txt
echo 'x' > /testbed/b.txt
