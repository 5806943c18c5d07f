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

output "public_zone_id" {
  value = aws_route53_zone.public.zone_id
}

output "certificate_arn" {
  value = aws_acm_certificate_validation.main.certificate_arn
}

output "name_servers" {
  description = "Delegate the domain to these name servers."
  value       = aws_route53_zone.public.name_servers
}
