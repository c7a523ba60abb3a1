import * as k8s from '@kubernetes/client-node';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
export const x = [k8s.KubeConfig, Deployment];
