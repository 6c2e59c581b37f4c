#!/usr/bin/env node
import { runAsProcess } from '../dist/cli/process.js';

await runAsProcess();
