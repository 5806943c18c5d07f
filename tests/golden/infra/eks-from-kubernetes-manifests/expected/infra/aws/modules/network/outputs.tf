output "vpc_id" {
  value = aws_vpc.main.id
}

output "private_subnet_ids" {
  value = aws_subnet.private[*].id
}

output "database_subnet_ids" {
  value = aws_subnet.database[*].id
}

output "services_security_group_id" {
  value = aws_security_group.services.id
}

output "data_security_group_id" {
  value = aws_security_group.data.id
}

output "private_zone_id" {
  value = aws_route53_zone.private.zone_id
}

output "target_group_arns" {
  value = { for name, group in aws_lb_target_group.service : name => group.arn }
}

output "load_balancer_arn_suffix" {
  value = aws_lb.main.arn_suffix
}

output "target_group_arn_suffixes" {
  value = { for name, group in aws_lb_target_group.service : name => group.arn_suffix }
}

output "name_servers" {
  description = "Delegate the domain to these name servers."
  value       = aws_route53_zone.public.name_servers
}
