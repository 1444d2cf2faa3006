#!/usr/bin/env node
import { formatReport, readCompliance } from '../lib';

// Prints the auditor's report for an existing cloud assembly: `npm run report [-- cdk.out]`.
const directory = process.argv[2] ?? 'cdk.out';
process.stdout.write(formatReport(readCompliance(directory)));
