output "cluster_id" {
  value = azurerm_kubernetes_cluster.main.id
}

output "registry_login_server" {
  value = azurerm_container_registry.main.login_server
}

output "alerts" {
  value = {
    node-cpu = {
      scope       = azurerm_kubernetes_cluster.main.id
      namespace   = "Microsoft.ContainerService/managedClusters"
      metric      = "node_cpu_usage_percentage"
      aggregation = "Average"
      threshold   = 80
      description = "Cluster nodes above 80% CPU: the autoscaler is at its maximum or pods lack requests"
    }
    node-memory = {
      scope       = azurerm_kubernetes_cluster.main.id
      namespace   = "Microsoft.ContainerService/managedClusters"
      metric      = "node_memory_working_set_percentage"
      aggregation = "Average"
      threshold   = 80
      description = "Cluster nodes above 80% memory"
    }
  }
}
